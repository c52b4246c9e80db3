#!/usr/bin/env python3
"""Idempotent seed of the local AWS stand-ins for gatehouse; run with .venv/bin/python.

Cognito (cognito-local on 127.0.0.1:9229):
  user pool `gatehouse-local` (email is the username), app client `gatehouse-web` (public, no
  secret), groups `admins` and `analysts`, and the confirmed demo users of CONTRACTS.md with the
  password `Demo-Passw0rd!`. Every run converges the demo users back to that state (password,
  enabled, attributes, group membership) and then proves it by signing each one in with
  USER_PASSWORD_AUTH.
DynamoDB (moto on 127.0.0.1:8000):
  sessions table (key `id` S), lockout table (key `username` S, sparse GSI `locked` on
  lock_key/locked_until) and events table (key pk/sk S, GSI `by_day` on day/sk), PAY_PER_REQUEST, TTL on `expires_at`; names from env SESSIONS_TABLE /
  LOCKOUT_TABLE / EVENTS_TABLE.
Identity pool (moto's Cognito identity API, on the same 127.0.0.1:8000):
  `gatehouse_local`, no unauthenticated identities, the user pool and app client above as its
  only provider (moto keeps it in memory, so every stack start creates it again; moto neither
  checks the tokens it is given nor evaluates IAM: see the README).
Profile pictures and preferences (moto's S3 and DynamoDB, on the same 127.0.0.1:8000):
  bucket `gatehouse-avatars` with CORS for PUT from the local app origins (:3000, and :3100 for
  the browser tests), and table `gatehouse-preferences` (key `identity_id` S).
Writes .local/stack.env (KEY=value lines), keeping APP_SECRET across runs.

The ports and the state directory follow the environment of scripts/stack.sh (scripts/common.sh):
COGNITO_PORT (default 9229), DYNAMODB_PORT (default 8000) and GATEHOUSE_STACK_DIR (default
.local; holds cognito/ and stack.env), so that a second stack can run beside the default one.

The demo admin has two-step verification on with the fixed authenticator key ADMIN_TOTP_KEY
(CONTRACTS.md; local stack only), because admin actions need it: demos and tests compute its
codes (`scripts/seed.py --admin-code` prints the current one). Cognito's API cannot set a key, so
when the admin's sign-in does not ask for a code that this key answers, the script exits 3 and
scripts/stack.sh stops cognito-local, runs `seed.py --write-admin-key` (writes the key into
cognito-local's data file) and starts it and this script again.

cognito-local 5.3.0 quirks this script works around (measured):
  - CreateGroup on an existing group name succeeds and REPLACES the group, dropping its members:
    only create groups that are missing.
  - With UsernameAttributes=['email'] the real username is a generated UUID (= sub). AdminGetUser,
    AdminSetUserPassword and AdminAddUserToGroup accept the email alias, but
    AdminListGroupsForUser / AdminRemoveUserFromGroup must be given the UUID.
  - AdminUpdateUserAttributes with email_verified alone fails ("Email is required to
    verify/un-verify an email"): send email together with email_verified.
  - GetGroup in a pool that has no group yet fails with HTTP 500 (not ResourceNotFoundException):
    existence is checked with ListGroups.
  - Unsupported operations answer HTTP 500 (`Unsupported`), so retries are switched off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import sys
import time
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ROOT = Path(__file__).resolve().parent.parent
# The stack's state directory (scripts/common.sh: STACK_DIR); relative to the current directory.
LOCAL = Path(os.environ.get("GATEHOUSE_STACK_DIR") or ROOT / ".local").absolute()
STACK_ENV = LOCAL / "stack.env"


def port(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        print(f"[seed] ERROR: {name}={value!r} is not a port", file=sys.stderr)
        sys.exit(1)
    return int(value)


COGNITO_PORT = port("COGNITO_PORT", 9229)
DYNAMODB_PORT = port("DYNAMODB_PORT", 8000)

REGION = "us-east-1"
COGNITO_ENDPOINT = f"http://127.0.0.1:{COGNITO_PORT}"
# IssuerDomain in <stack dir>/cognito/.cognito/config.json (scripts/stack.sh)
COGNITO_ISSUER_BASE = f"http://localhost:{COGNITO_PORT}"
DYNAMODB_ENDPOINT = f"http://127.0.0.1:{DYNAMODB_PORT}"

POOL_NAME = "gatehouse-local"
CLIENT_NAME = "gatehouse-web"
GROUPS = ["admins", "analysts"]
DEMO_PASSWORD = "Demo-Passw0rd!"
DEMO_USERS = {  # email -> groups (CONTRACTS.md)
    "admin@example.com": ["admins"],
    "analyst@example.com": ["analysts"],
    "user@example.com": [],
}
# The demo admin's authenticator key (base32; CONTRACTS.md). Local stack only.
ADMIN_EMAIL = "admin@example.com"
ADMIN_TOTP_KEY = "GATEHOUSEDEMOADMINKEYTOTPLOCAL23"
ADMIN_KEY_NEEDED = 3  # exit status: stack.sh writes the key with cognito-local stopped
COGNITO_DATA = LOCAL / "cognito" / ".cognito" / "db"
# Test-only accounts (no group, same password) for tests that lock an account on purpose, so
# that a failing test can never lock out the demo users above.
TEST_USERS = {
    "lockout-1@example.com": [],
    "lockout-2@example.com": [],
    "lockout-3@example.com": [],
}
APP_PORTS = [3000, 3100, 3101, 3102]  # make run, Playwright instance, extra test instances

SESSIONS_TABLE = os.environ.get("SESSIONS_TABLE") or "gatehouse-sessions"
LOCKOUT_TABLE = os.environ.get("LOCKOUT_TABLE") or "gatehouse-lockout"
EVENTS_TABLE = os.environ.get("EVENTS_TABLE") or "gatehouse-events"
TABLES = {SESSIONS_TABLE: "id", LOCKOUT_TABLE: "username"}
AVATARS_BUCKET = os.environ.get("AVATARS_BUCKET") or "gatehouse-avatars"
PREFERENCES_TABLE = os.environ.get("PREFERENCES_TABLE") or "gatehouse-preferences"
# The browser uploads pictures straight to the bucket from these origins (make run, Playwright).
APP_ORIGINS = [f"http://{host}:{port}" for port in (3000, 3100) for host in ("localhost", "127.0.0.1")]
# The lockout table's sparse index of locked names (crates/lockout: LOCKED_INDEX, lock_key /
# locked_until): only a lock writes its keys, so /admin/lockouts never reads counted names.
LOCKOUT_INDEX = {
    "IndexName": "locked",
    "KeySchema": [
        {"AttributeName": "lock_key", "KeyType": "HASH"},
        {"AttributeName": "locked_until", "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "ALL"},
}
LOCKOUT_INDEX_ATTRIBUTES = [
    {"AttributeName": "lock_key", "AttributeType": "S"},
    {"AttributeName": "locked_until", "AttributeType": "N"},
]
# The events table: pk/sk plus the GSI `by_day` (day, sk) for time ranges (src/events/store.rs).
EVENTS_KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
EVENTS_INDEX = "by_day"
TTL_ATTRIBUTE = "expires_at"

CLIENT_SETTINGS = dict(
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    AllowedOAuthFlows=["code"],
    AllowedOAuthScopes=["openid", "email", "profile"],
    AllowedOAuthFlowsUserPoolClient=True,
    SupportedIdentityProviders=["COGNITO"],
    CallbackURLs=[f"http://localhost:{p}/auth/callback" for p in APP_PORTS],
    LogoutURLs=[f"http://localhost:{p}/" for p in APP_PORTS],
)


def say(msg: str) -> None:
    print(f"[seed] {msg}", flush=True)


def fail(msg: str) -> None:
    print(f"[seed] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def error_code(e: ClientError) -> str:
    return e.response.get("Error", {}).get("Code", "")


def jwt_part(token: str, index: int) -> dict:
    """Decode one part of a JWT without verifying anything (for the seed's own check)."""
    part = token.split(".")[index]
    part += "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(part))


# ---------------------------------------------------------------- Cognito


def ensure_pool(idp) -> str:
    pools, token = [], None
    while True:
        kw = {"MaxResults": 60}
        if token:
            kw["NextToken"] = token
        page = idp.list_user_pools(**kw)
        pools += [p for p in page.get("UserPools", []) if p.get("Name") == POOL_NAME]
        token = page.get("NextToken")
        if not token:
            break
    if pools:
        pools.sort(key=lambda p: (str(p.get("CreationDate", "")), p["Id"]))
        if len(pools) > 1:
            say(f"WARNING: {len(pools)} pools named {POOL_NAME}; using the oldest, {pools[0]['Id']}")
        pool_id = pools[0]["Id"]
        attrs = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("UsernameAttributes") or []
        if "email" not in attrs:
            fail(f"pool {pool_id} exists without UsernameAttributes=['email']; run 'make clean-local'")
        say(f"cognito: user pool {POOL_NAME} exists: {pool_id}")
        return pool_id
    pool = idp.create_user_pool(
        PoolName=POOL_NAME,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        },
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]
    say(f"cognito: created user pool {POOL_NAME}: {pool['Id']}")
    return pool["Id"]


def ensure_client(idp, pool_id: str) -> str:
    found, token = [], None
    while True:
        kw = {"UserPoolId": pool_id, "MaxResults": 60}
        if token:
            kw["NextToken"] = token
        page = idp.list_user_pool_clients(**kw)
        found += [c for c in page.get("UserPoolClients", []) if c.get("ClientName") == CLIENT_NAME]
        token = page.get("NextToken")
        if not token:
            break
    if not found:
        c = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName=CLIENT_NAME, GenerateSecret=False, **CLIENT_SETTINGS
        )["UserPoolClient"]
        say(f"cognito: created app client {CLIENT_NAME}: {c['ClientId']}")
        return c["ClientId"]
    client_id = sorted(c["ClientId"] for c in found)[0]
    current = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    if current.get("ClientSecret"):
        fail(f"app client {client_id} has a secret; run 'make clean-local' to start over")
    def differs(key: str, want) -> bool:
        have = current.get(key)
        if isinstance(want, list):
            return sorted(have or []) != sorted(want)
        return have != want

    if any(differs(k, v) for k, v in CLIENT_SETTINGS.items()):
        idp.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id, ClientName=CLIENT_NAME, **CLIENT_SETTINGS
        )
        say(f"cognito: app client {CLIENT_NAME} exists: {client_id} (settings updated)")
    else:
        say(f"cognito: app client {CLIENT_NAME} exists: {client_id}")
    return client_id


def ensure_mfa(idp, pool_id: str) -> None:
    # Optional authenticator (TOTP) MFA: users turn it on from /account/mfa. Idempotent.
    cfg = idp.get_user_pool_mfa_config(UserPoolId=pool_id)
    if cfg.get("MfaConfiguration") == "OPTIONAL" and (cfg.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"):
        return
    idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    say("cognito: optional TOTP MFA enabled on the pool")


def ensure_groups(idp, pool_id: str) -> None:
    # ListGroups, not GetGroup: in a pool without any group yet, cognito-local answers GetGroup with
    # HTTP 500 instead of ResourceNotFoundException.
    existing, token = set(), None
    while True:
        kw = {"UserPoolId": pool_id, "Limit": 60}
        if token:
            kw["NextToken"] = token
        page = idp.list_groups(**kw)
        existing.update(g["GroupName"] for g in page.get("Groups", []))
        token = page.get("NextToken")
        if not token:
            break
    for group in GROUPS:
        if group in existing:
            continue  # never CreateGroup an existing group: cognito-local would drop its members
        idp.create_group(UserPoolId=pool_id, GroupName=group, Description=f"gatehouse {group}")
        say(f"cognito: created group {group}")


def ensure_user(idp, pool_id: str, email: str, groups: list[str]) -> None:
    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
        created = False
    except ClientError as e:
        if error_code(e) != "UserNotFoundException":
            raise
        user = idp.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )["User"]
        user["UserAttributes"] = user.get("Attributes", [])
        created = True
    username = user["Username"]  # a UUID, because the pool signs in by email
    attrs = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    if attrs.get("email") != email or attrs.get("email_verified") != "true":
        idp.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    # Permanent=True makes an AdminCreateUser user CONFIRMED (no NEW_PASSWORD_REQUIRED challenge)
    # and puts back the demo password if a test changed it.
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True
    )
    if not user.get("Enabled", True):
        idp.admin_enable_user(UserPoolId=pool_id, Username=username)
    have = {g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=username)["Groups"]}
    for g in sorted(set(groups) - have):
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=g)
    for g in sorted(have - set(groups)):
        idp.admin_remove_user_from_group(UserPoolId=pool_id, Username=username, GroupName=g)
    say(f"cognito: user {email} {'created' if created else 'exists'} ({username}), groups: {', '.join(groups) or 'none'}")


def totp(key_b32: str, at: float | None = None) -> str:
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 key at `at` (now by default)."""
    key = base64.b32decode(key_b32)
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def write_admin_key() -> None:
    """Turns on two-step verification with ADMIN_TOTP_KEY for the demo admin in cognito-local's
    data file. Only while cognito-local is stopped (it keeps its data in memory)."""
    done = False
    for path in sorted(COGNITO_DATA.glob("*.json")):
        if path.name == "clients.json":
            continue
        data = json.loads(path.read_text())
        for user in (data.get("Users") or {}).values():
            attrs = {a.get("Name"): a.get("Value") for a in user.get("Attributes", [])}
            if attrs.get("email") != ADMIN_EMAIL:
                continue
            user["SoftwareTokenMfaConfiguration"] = {"Secret": ADMIN_TOTP_KEY, "Verified": True}
            user["UserMFASettingList"] = ["SOFTWARE_TOKEN_MFA"]
            user["PreferredMfaSetting"] = "SOFTWARE_TOKEN_MFA"
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(data, indent=2))
            tmp.replace(path)
            done = True
    if not done:
        fail(f"{ADMIN_EMAIL} not found in {COGNITO_DATA}")
    say(f"cognito: authenticator key written for {ADMIN_EMAIL}")


def verify_sign_in(idp, pool_id: str, client_id: str, email: str, groups: list[str], kids: set[str]) -> bool:
    """Signs the demo user in and checks the ID token. The admin answers the code step with
    ADMIN_TOTP_KEY; `False` when that is not possible yet (the key must be written)."""
    try:
        res = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": DEMO_PASSWORD},
        )
    except ClientError as e:
        fail(f"InitiateAuth USER_PASSWORD_AUTH for {email} failed: {error_code(e)}: {e}")
    if email == ADMIN_EMAIL:
        if not res.get("ChallengeName"):
            return False  # two-step verification is not on yet
    if email == ADMIN_EMAIL and res.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        try:
            res = idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=res["Session"],
                ChallengeResponses={
                    "USERNAME": res.get("ChallengeParameters", {}).get("USER_ID_FOR_SRP", email),
                    "SOFTWARE_TOKEN_MFA_CODE": totp(ADMIN_TOTP_KEY),
                },
            )
        except ClientError as e:
            if error_code(e) == "CodeMismatchException":
                return False
            fail(f"RespondToAuthChallenge SOFTWARE_TOKEN_MFA for {email} failed: {error_code(e)}: {e}")
    if res.get("ChallengeName"):
        fail(
            f"InitiateAuth for {email} returned challenge {res['ChallengeName']} instead of tokens "
            "(MFA enabled on a demo user? cognito-local has no AdminSetUserMFAPreference: "
            "'make clean-local' starts over)"
        )
    auth = res.get("AuthenticationResult") or {}
    id_token = auth.get("IdToken")
    if not id_token or not auth.get("AccessToken") or not auth.get("RefreshToken"):
        fail(f"InitiateAuth for {email} returned no ID/access/refresh token")
    header, claims = jwt_part(id_token, 0), jwt_part(id_token, 1)
    issuer = f"{COGNITO_ISSUER_BASE}/{pool_id}"
    token_groups = claims.get("cognito:groups") or []
    problems = []
    if claims.get("iss") != issuer:
        problems.append(f"iss is {claims.get('iss')!r}, expected {issuer!r} (IssuerDomain config?)")
    if claims.get("aud") != client_id:
        problems.append(f"aud is {claims.get('aud')!r}, expected {client_id!r}")
    if claims.get("email") != email:
        problems.append(f"email claim is {claims.get('email')!r}")
    if sorted(token_groups) != sorted(groups):
        problems.append(f"cognito:groups is {token_groups}, expected {groups}")
    if header.get("kid") not in kids:
        problems.append(f"token kid {header.get('kid')!r} not in the JWKS ({sorted(kids)})")
    if problems:
        fail(f"ID token of {email}: " + "; ".join(problems))
    second = " with the authenticator code" if email == ADMIN_EMAIL else ""
    say(f"cognito: sign-in OK for {email}{second}; ID token cognito:groups = {json.dumps(token_groups)}")
    return True


def fetch_jwks_kids(pool_id: str) -> set[str]:
    url = f"{COGNITO_ENDPOINT}/{pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=5) as r:
        keys = json.load(r).get("keys", [])
    if not keys:
        fail(f"no keys at {url}")
    return {k.get("kid") for k in keys}


# ---------------------------------------------------------------- DynamoDB


def ensure_tables(ddb) -> None:
    existing, kw = set(), {}
    while True:
        page = ddb.list_tables(**kw)
        existing.update(page.get("TableNames", []))
        if not page.get("LastEvaluatedTableName"):
            break
        kw = {"ExclusiveStartTableName": page["LastEvaluatedTableName"]}
    for name, key in TABLES.items():
        if name in existing:
            schema = ddb.describe_table(TableName=name)["Table"]["KeySchema"]
            if schema != [{"AttributeName": key, "KeyType": "HASH"}]:
                fail(f"table {name} has key schema {schema}, expected HASH {key}; run 'scripts/stack.sh reset'")
            state = "exists"
        else:
            extra = {}
            if name == LOCKOUT_TABLE:
                extra = {"GlobalSecondaryIndexes": [LOCKOUT_INDEX]}
            ddb.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}]
                + (LOCKOUT_INDEX_ATTRIBUTES if name == LOCKOUT_TABLE else []),
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
                **extra,
            )
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
            state = "created"
        if name == LOCKOUT_TABLE:
            ensure_lockout_index(ddb, name)
            state += f", index {LOCKOUT_INDEX['IndexName']}"
        say(f"dynamodb: table {name} {state} (key {key} S, TTL on {TTL_ATTRIBUTE})")
        ensure_ttl(ddb, name)
    ensure_events_table(ddb, existing)


def ensure_lockout_index(ddb, name: str) -> None:
    """A lockout table made before the index existed (a stack left running) gets it added."""
    table = ddb.describe_table(TableName=name)["Table"]
    if any(i["IndexName"] == LOCKOUT_INDEX["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])):
        return
    ddb.update_table(
        TableName=name,
        AttributeDefinitions=LOCKOUT_INDEX_ATTRIBUTES,
        GlobalSecondaryIndexUpdates=[{"Create": LOCKOUT_INDEX}],
    )
    table = ddb.describe_table(TableName=name)["Table"]
    if not any(i["IndexName"] == LOCKOUT_INDEX["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])):
        fail(f"table {name} lacks the index {LOCKOUT_INDEX['IndexName']}; run 'scripts/stack.sh reset'")


def ensure_ttl(ddb, name: str) -> None:
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or ttl.get("AttributeName") != TTL_ATTRIBUTE:
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )


def ensure_events_table(ddb, existing: set) -> None:
    name = EVENTS_TABLE
    if name in existing:
        table = ddb.describe_table(TableName=name)["Table"]
        indexes = [i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])]
        if table["KeySchema"] != EVENTS_KEYS or EVENTS_INDEX not in indexes:
            fail(f"table {name} has key schema {table['KeySchema']} / indexes {indexes}; run 'scripts/stack.sh reset'")
        state = "exists"
    else:
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            KeySchema=EVENTS_KEYS,
            GlobalSecondaryIndexes=[{
                "IndexName": EVENTS_INDEX,
                "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        state = "created"
    ensure_ttl(ddb, name)
    say(f"dynamodb: table {name} {state} (key pk/sk S, index {EVENTS_INDEX} day/sk, TTL on {TTL_ATTRIBUTE})")


# ---------------------------------------------------------------- identity pool

IDENTITY_POOL_NAME = "gatehouse_local"


def ensure_identity_pool(cid, pool_id: str, client_id: str) -> str:
    provider = {
        "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        "ClientId": client_id,
        "ServerSideTokenCheck": True,
    }
    for p in cid.list_identity_pools(MaxResults=60).get("IdentityPools", []):
        if p["IdentityPoolName"] == IDENTITY_POOL_NAME:
            cid.update_identity_pool(
                IdentityPoolId=p["IdentityPoolId"],
                IdentityPoolName=IDENTITY_POOL_NAME,
                AllowUnauthenticatedIdentities=False,
                CognitoIdentityProviders=[provider],
            )
            return p["IdentityPoolId"]
    created = cid.create_identity_pool(
        IdentityPoolName=IDENTITY_POOL_NAME,
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[provider],
    )
    say(f"identity pool: created {created['IdentityPoolId']}")
    return created["IdentityPoolId"]


# ---------------------------------------------------------------- pictures and preferences


def ensure_personal(s3, ddb) -> None:
    """The avatars bucket (CORS: PUT from the app's origins) and the preferences table."""
    try:
        s3.head_bucket(Bucket=AVATARS_BUCKET)
        state = "exists"
    except ClientError:
        s3.create_bucket(Bucket=AVATARS_BUCKET)
        state = "created"
    s3.put_bucket_cors(
        Bucket=AVATARS_BUCKET,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": APP_ORIGINS,
                    "AllowedMethods": ["PUT"],
                    "AllowedHeaders": ["content-type", "x-amz-*"],
                    "MaxAgeSeconds": 300,
                }
            ]
        },
    )
    say(f"s3: bucket {AVATARS_BUCKET} {state} (CORS: PUT from {', '.join(APP_ORIGINS)})")
    names = ddb.list_tables().get("TableNames", [])
    if PREFERENCES_TABLE in names:
        state = "exists"
    else:
        ddb.create_table(
            TableName=PREFERENCES_TABLE,
            AttributeDefinitions=[{"AttributeName": "identity_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "identity_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        state = "created"
    say(f"dynamodb: table {PREFERENCES_TABLE} {state} (key identity_id S)")


# ---------------------------------------------------------------- stack.env


def read_env(path: Path) -> dict[str, str]:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            m = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
            if m:
                out[m.group(1)] = m.group(2).strip().strip('"').strip("'")
    return out


def write_stack_env(pool_id: str, client_id: str, identity_pool_id: str) -> None:
    old = read_env(STACK_ENV)
    app_secret = old.get("APP_SECRET", "")
    kept = bool(re.fullmatch(r"[0-9a-f]{64}", app_secret))
    if not kept:
        app_secret = secrets.token_hex(32)
    values = {
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "COGNITO_USER_POOL_ID": pool_id,
        "COGNITO_CLIENT_ID": client_id,
        "COGNITO_ENDPOINT": COGNITO_ENDPOINT,
        "COGNITO_ISSUER": f"{COGNITO_ISSUER_BASE}/{pool_id}",
        "DYNAMODB_ENDPOINT": DYNAMODB_ENDPOINT,
        "SESSIONS_TABLE": SESSIONS_TABLE,
        "LOCKOUT_TABLE": LOCKOUT_TABLE,
        "EVENTS_TABLE": EVENTS_TABLE,
        # The identity pool is served by moto, beside DynamoDB.
        "COGNITO_IDENTITY_POOL_ID": identity_pool_id,
        "COGNITO_IDENTITY_ENDPOINT": DYNAMODB_ENDPOINT,
        # Profile pictures (moto's S3, path-style) and preferences, with the user's credentials.
        "AVATARS_BUCKET": AVATARS_BUCKET,
        "S3_ENDPOINT": DYNAMODB_ENDPOINT,
        "PREFERENCES_TABLE": PREFERENCES_TABLE,
        "APP_SECRET": app_secret,
        # The Hosted UI on the emulator: its OAuth2 endpoints have no pool prefix, it reads
        # client_id from the token request body, it has no /logout endpoint, and its ID tokens
        # carry no nonce (hence the dev-only relaxation, which the app refuses off localhost).
        "COGNITO_DOMAIN": COGNITO_ISSUER_BASE,
        "OAUTH_CLIENT_AUTH": "body",
        "OAUTH_LOGOUT_ENABLED": "false",
        "DEV_RELAX_NONCE": "true",
        "GOOGLE_SIGN_IN_ENABLED": "true",
    }
    text = "# Written by scripts/seed.py; local emulators only. APP_SECRET is kept across re-seeds.\n"
    text += "".join(f"{k}={v}\n" for k, v in values.items())
    LOCAL.mkdir(parents=True, exist_ok=True)
    tmp = STACK_ENV.with_suffix(".env.tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(STACK_ENV)
    shown = STACK_ENV.relative_to(ROOT) if STACK_ENV.is_relative_to(ROOT) else STACK_ENV
    say(f"wrote {shown} (APP_SECRET {'kept' if kept else 'generated'})")


def main() -> None:
    if sys.argv[1:] == ["--write-admin-key"]:
        write_admin_key()
        return
    if sys.argv[1:] == ["--admin-code"]:
        print(totp(ADMIN_TOTP_KEY))
        return
    t0 = time.monotonic()
    admin_ready = True
    idp = client("cognito-idp", COGNITO_ENDPOINT)
    ddb = client("dynamodb", DYNAMODB_ENDPOINT)
    try:
        pool_id = ensure_pool(idp)
        client_id = ensure_client(idp, pool_id)
        ensure_mfa(idp, pool_id)
        ensure_groups(idp, pool_id)
        for email, groups in {**DEMO_USERS, **TEST_USERS}.items():
            ensure_user(idp, pool_id, email, groups)
        kids = fetch_jwks_kids(pool_id)
        for email, groups in DEMO_USERS.items():
            admin_ready &= verify_sign_in(idp, pool_id, client_id, email, groups, kids)
        ensure_tables(ddb)
        identity_pool_id = ensure_identity_pool(
            client("cognito-identity", DYNAMODB_ENDPOINT), pool_id, client_id
        )
        ensure_personal(client("s3", DYNAMODB_ENDPOINT), ddb)
    except ClientError as e:
        fail(f"{e.operation_name}: {error_code(e)}: {e}")
    except (BotoCoreError, OSError) as e:  # connection refused, timeouts
        fail(f"cannot reach an emulator: {e}")
    write_stack_env(pool_id, client_id, identity_pool_id)
    if not admin_ready:
        say(f"cognito: {ADMIN_EMAIL} needs its authenticator key (cognito-local is restarted to write it)")
        sys.exit(ADMIN_KEY_NEEDED)
    say(f"done in {time.monotonic() - t0:.1f}s")


if __name__ == "__main__":
    main()
