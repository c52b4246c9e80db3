#!/usr/bin/env python3
"""Static check of the identity pool's per-user isolation in the CloudFormation template.

    .venv/bin/python scripts/check_identity_policy.py [TEMPLATE]    (default deploy/gatehouse.yaml)

On AWS, IAM keeps each signed-in user to their own avatars/<identity id>/ prefix and their own
preferences item. The local stack (moto) does not evaluate IAM conditions, so no test run
against it can show that isolation; this script checks the policy *text* instead. It loads the
template with cfn-lint's own decoder (so the intrinsic functions !Ref, !Sub, !GetAtt read as
CloudFormation reads them) and asserts:

  - the identity pool: no unauthenticated identities, no classic flow, the user pool (with its
    app client) as the only provider, server-side token check on;
  - its role attachment: an authenticated role, no unauthenticated role;
  - that role's trust: cognito-identity.amazonaws.com, sts:AssumeRoleWithWebIdentity, aud = the
    identity pool, amr = authenticated;
  - that role's permissions: only s3:PutObject/GetObject/DeleteObject on
    <avatars bucket>/avatars/${cognito-identity.amazonaws.com:sub}/*, and only
    dynamodb:GetItem/PutItem/UpdateItem/DeleteItem on the preferences table with
    ForAllValues:StringEquals dynamodb:LeadingKeys = ${cognito-identity.amazonaws.com:sub}
    (no Scan, no Query, no wildcard, no NotAction/NotResource, no managed policies);
  - the preferences table's partition key is identity_id (what LeadingKeys compares);
  - the avatars bucket: all public access blocked, BucketOwnerEnforced, default encryption,
    CORS origins = the PublicUrl parameter only with PUT/GET only, an abort-incomplete-multipart
    lifecycle rule, and a bucket policy denying aws:SecureTransport = false.

Exit 0 and a list of what was checked, or exit 1 and every failed property.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    from cfnlint.decode import decode
except ImportError:  # pragma: no cover - depends on the interpreter used
    sys.exit("check_identity_policy: cfnlint is not importable; run with the project's .venv "
             "(.venv/bin/python; scripts/cfn_lint.sh installs cfn-lint there)")

ROOT = Path(__file__).resolve().parent.parent
SUB_VAR = "${cognito-identity.amazonaws.com:sub}"
S3_ACTIONS = {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}
DDB_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}

failures: list[str] = []
checked: list[str] = []


def check(ok: bool, what: str, why: str = "") -> bool:
    """Record one property: `what` is printed on success, `what` + `why` on failure."""
    if ok:
        checked.append(what)
    else:
        failures.append(f"{what}{': ' + why if why else ''}")
    return ok


def line(node) -> str:
    mark = getattr(node, "start_mark", None)
    return f" (near line {mark.line + 1})" if mark is not None and hasattr(mark, "line") else ""


def as_list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, list) else [v]


def is_true(v) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true")


def is_false(v) -> bool:
    return v is False or (isinstance(v, str) and v.lower() == "false")


def ref_name(v) -> str | None:
    """`!Ref X` -> X."""
    if isinstance(v, dict) and list(v) == ["Ref"] and isinstance(v["Ref"], str):
        return v["Ref"]
    return None


def getatt(v) -> tuple[str, str] | None:
    """`!GetAtt X.Arn` (either spelling) -> (X, Arn)."""
    if isinstance(v, dict) and list(v) == ["Fn::GetAtt"]:
        a = v["Fn::GetAtt"]
        if isinstance(a, str) and "." in a:
            res, _, att = a.partition(".")
            return res, att
        if isinstance(a, list) and len(a) == 2 and all(isinstance(x, str) for x in a):
            return a[0], a[1]
    return None


def render(v) -> str | None:
    """A string as CloudFormation would deliver it, with template references left as <Name>:
    literal strings as is; `!Sub` with ${X} -> <X> and the escape ${!X} -> ${X} (an IAM policy
    variable). Anything else (Join, If, ...) -> None: not checkable here, so it fails."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict) and list(v) == ["Fn::Sub"]:
        body = v["Fn::Sub"]
        if not isinstance(body, str):
            return None  # the [string, {vars}] form is not used for these policies
        return re.sub(r"\$\{(!?)([^}]*)\}",
                      lambda m: "${" + m.group(2) + "}" if m.group(1) else "<" + m.group(2) + ">",
                      body)
    return None


def resources_of(template: dict, rtype: str) -> dict[str, dict]:
    return {k: r for k, r in (template.get("Resources") or {}).items()
            if isinstance(r, dict) and r.get("Type") == rtype}


def props(resource: dict) -> dict:
    return resource.get("Properties") or {}


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "deploy" / "gatehouse.yaml"
    if len(sys.argv) > 2:
        sys.exit("usage: check_identity_policy.py [TEMPLATE]")
    template, matches = decode(str(path))
    if template is None or matches:
        detail = "; ".join(str(m) for m in matches) or "not a template"
        print(f"check_identity_policy: FAILED: cannot load {path}: {detail}", file=sys.stderr)
        return 1
    resources = template.get("Resources") or {}

    # ---------------------------------------------------------------- identity pool
    pools = resources_of(template, "AWS::Cognito::IdentityPool")
    if not check(len(pools) == 1, "exactly one AWS::Cognito::IdentityPool", f"found {len(pools)}"):
        return report(path)
    pool_name, pool = next(iter(pools.items()))
    p = props(pool)
    check(is_false(p.get("AllowUnauthenticatedIdentities")),
          f"{pool_name}: AllowUnauthenticatedIdentities is false",
          f"it is {p.get('AllowUnauthenticatedIdentities')!r}{line(p)}")
    check(not is_true(p.get("AllowClassicFlow")), f"{pool_name}: classic (basic) flow off",
          f"AllowClassicFlow is {p.get('AllowClassicFlow')!r}")
    check(not p.get("SupportedLoginProviders") and not p.get("OpenIdConnectProviderARNs")
          and not p.get("SamlProviderARNs") and not p.get("DeveloperProviderName"),
          f"{pool_name}: no provider besides the user pool",
          "SupportedLoginProviders/OpenIdConnectProviderARNs/SamlProviderARNs/DeveloperProviderName set")
    providers = as_list(p.get("CognitoIdentityProviders"))
    if check(len(providers) == 1, f"{pool_name}: exactly one Cognito user pool provider",
             f"found {len(providers)}"):
        prov = providers[0]
        name = render(prov.get("ProviderName"))
        ga = getatt(prov.get("ProviderName"))
        user_pools = set(resources_of(template, "AWS::Cognito::UserPool"))
        names_pool = (name is not None and re.fullmatch(r"cognito-idp\.<AWS::Region>\.amazonaws\.com/<(\w+)>", name)
                      and name.split("<")[-1].rstrip(">") in user_pools) or \
                     (ga is not None and ga[0] in user_pools and ga[1] == "ProviderName")
        check(bool(names_pool), f"{pool_name}: provider is cognito-idp.<region>.amazonaws.com/<the user pool>",
              f"ProviderName is {prov.get('ProviderName')!r}")
        client = ref_name(prov.get("ClientId"))
        check(client in resources_of(template, "AWS::Cognito::UserPoolClient"),
              f"{pool_name}: provider's ClientId is the app client", f"ClientId is {prov.get('ClientId')!r}")
        check(is_true(prov.get("ServerSideTokenCheck")), f"{pool_name}: ServerSideTokenCheck is true",
              f"it is {prov.get('ServerSideTokenCheck')!r}")

    # ---------------------------------------------------------------- role attachment
    attachments = {k: r for k, r in resources_of(template, "AWS::Cognito::IdentityPoolRoleAttachment").items()
                   if ref_name(props(r).get("IdentityPoolId")) == pool_name}
    if not check(len(attachments) == 1, f"exactly one role attachment for {pool_name}",
                 f"found {len(attachments)}"):
        return report(path)
    att_name, att = next(iter(attachments.items()))
    roles = props(att).get("Roles") or {}
    check(set(roles) == {"authenticated"}, f"{att_name}: an authenticated role and no other (no unauthenticated role)",
          f"roles: {sorted(roles)}")
    check(not props(att).get("RoleMappings"), f"{att_name}: no role mappings (every user gets the same role)",
          "RoleMappings set: their roles are not checked here")
    role_ref = getatt(roles.get("authenticated"))
    role_name = role_ref[0] if role_ref and role_ref[1] == "Arn" else None
    role = resources.get(role_name) if role_name else None
    if not check(isinstance(role, dict) and role.get("Type") == "AWS::IAM::Role",
                 f"{att_name}: the authenticated role is an AWS::IAM::Role of this template",
                 f"it is {roles.get('authenticated')!r}"):
        return report(path)
    rp = props(role)

    # ---------------------------------------------------------------- trust
    trust = as_list((rp.get("AssumeRolePolicyDocument") or {}).get("Statement"))
    allows = [s for s in trust if s.get("Effect") == "Allow"]
    check(len(allows) >= 1, f"{role_name}: trust policy has an Allow statement")
    for i, st in enumerate(allows):
        where = f"{role_name}: trust statement {i + 1}"
        check(st.get("Principal") == {"Federated": "cognito-identity.amazonaws.com"},
              f"{where}: principal is Federated cognito-identity.amazonaws.com only", f"{st.get('Principal')!r}")
        check(as_list(st.get("Action")) == ["sts:AssumeRoleWithWebIdentity"],
              f"{where}: action is sts:AssumeRoleWithWebIdentity only", f"{st.get('Action')!r}")
        cond = st.get("Condition") or {}
        aud = as_list((cond.get("StringEquals") or {}).get("cognito-identity.amazonaws.com:aud"))
        check(len(aud) == 1 and ref_name(aud[0]) == pool_name,
              f"{where}: StringEquals cognito-identity.amazonaws.com:aud = !Ref {pool_name}", f"aud is {aud!r}")
        amr = as_list((cond.get("ForAnyValue:StringLike") or {}).get("cognito-identity.amazonaws.com:amr"))
        check(amr == ["authenticated"],
              f"{where}: ForAnyValue:StringLike cognito-identity.amazonaws.com:amr = authenticated", f"amr is {amr!r}")

    # ---------------------------------------------------------------- permissions
    check(not rp.get("ManagedPolicyArns"),
          f"{role_name}: no managed policies attached (only the inline policy, checked here)",
          f"ManagedPolicyArns: {rp.get('ManagedPolicyArns')!r}")
    statements = []
    for pol in as_list(rp.get("Policies")):
        statements += as_list((pol.get("PolicyDocument") or {}).get("Statement"))
    # Policies attached to the role from elsewhere in the template grant it permissions too.
    attached = []
    for k, r in resources.items():
        if isinstance(r, dict) and r.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy",
                                                     "AWS::IAM::RolePolicy"):
            targets = [ref_name(x) for x in as_list(props(r).get("Roles"))]
            targets += [props(r).get("RoleName"), ref_name(props(r).get("RoleName"))]
            if role_name in targets:
                attached.append(k)
    check(not attached, f"{role_name}: no policy resource elsewhere in the template attaches to it",
          f"{attached} attach to it")
    buckets = set(resources_of(template, "AWS::S3::Bucket"))
    tables = set(resources_of(template, "AWS::DynamoDB::Table"))
    s3_buckets, ddb_tables = set(), set()
    all_actions = set()
    for i, st in enumerate(statements):
        where = f"{role_name}: statement {st.get('Sid') or i + 1}"
        if st.get("Effect") == "Deny":
            continue  # a Deny only narrows
        check("NotAction" not in st and "NotResource" not in st and "NotPrincipal" not in st,
              f"{where}: no NotAction/NotResource", f"{line(st)}")
        actions = [a for a in as_list(st.get("Action")) if isinstance(a, str)]
        all_actions |= set(actions)
        check(len(actions) == len(as_list(st.get("Action"))) and all("*" not in a for a in actions),
              f"{where}: actions are literal, no wildcard", f"{st.get('Action')!r}")
        bad = [a for a in actions if a not in S3_ACTIONS | DDB_ACTIONS]
        check(not bad, f"{where}: only the allowed S3/DynamoDB item actions", f"also allows {bad}")
        kinds = {a.split(":")[0] for a in actions}
        check(len(kinds) == 1, f"{where}: one service per statement", f"mixes {sorted(kinds)}")
        res = as_list(st.get("Resource"))
        check(bool(res), f"{where}: has a Resource")
        if kinds == {"s3"}:
            check(set(actions) <= S3_ACTIONS,
                  f"{where}: S3 actions only among PutObject/GetObject/DeleteObject", f"{actions}")
            for r in res:
                s = render(r)
                m = s and re.fullmatch(r"arn:(?:<AWS::Partition>|aws):s3:::<(\w+)>/avatars/(.*)", s)
                ok = bool(m) and m.group(1) in buckets and m.group(2) == SUB_VAR + "/*"
                check(ok, f"{where}: resource ends in avatars/{SUB_VAR}/* (bucket of this template)",
                      f"resource renders as {s!r}{line(st)}")
                if m:
                    s3_buckets.add(m.group(1))
        elif kinds == {"dynamodb"}:
            check(set(actions) <= DDB_ACTIONS,
                  f"{where}: DynamoDB item actions only (GetItem/PutItem/UpdateItem/DeleteItem)", f"{actions}")
            for r in res:
                ga = getatt(r)
                ok = ga is not None and ga[0] in tables and ga[1] == "Arn"
                check(ok, f"{where}: resource is a table of this template (!GetAtt T.Arn, no index)",
                      f"resource is {r!r}")
                if ok:
                    ddb_tables.add(ga[0])
            cond = st.get("Condition") or {}
            lk = as_list((cond.get("ForAllValues:StringEquals") or {}).get("dynamodb:LeadingKeys"))
            check(lk == [SUB_VAR], f"{where}: ForAllValues:StringEquals dynamodb:LeadingKeys = {SUB_VAR}",
                  f"LeadingKeys is {lk!r}{line(st)}")
    check(not any(a in all_actions for a in ("dynamodb:Scan", "dynamodb:Query")),
          f"{role_name}: no dynamodb:Scan, no dynamodb:Query")
    check(all_actions & S3_ACTIONS != set(), f"{role_name}: grants the avatar object actions")
    check(all_actions & DDB_ACTIONS != set(), f"{role_name}: grants the preference item actions")

    # ---------------------------------------------------------------- preferences table
    for t in sorted(ddb_tables):
        ks = as_list(props(resources[t]).get("KeySchema"))
        hash_keys = [k.get("AttributeName") for k in ks if k.get("KeyType") == "HASH"]
        check(hash_keys == ["identity_id"], f"{t}: partition key is identity_id", f"it is {hash_keys}")
        attrs = {a.get("AttributeName"): a.get("AttributeType")
                 for a in as_list(props(resources[t]).get("AttributeDefinitions"))}
        check(attrs.get("identity_id") == "S", f"{t}: identity_id is a string (S)", f"{attrs.get('identity_id')!r}")

    # ---------------------------------------------------------------- avatars bucket
    for b in sorted(s3_buckets):
        bp = props(resources[b])
        pab = bp.get("PublicAccessBlockConfiguration") or {}
        keys = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        check(all(is_true(pab.get(k)) for k in keys), f"{b}: public access blocked (all four settings true)",
              f"{dict(pab)!r}")
        own = [r.get("ObjectOwnership") for r in as_list((bp.get("OwnershipControls") or {}).get("Rules"))]
        check(own == ["BucketOwnerEnforced"], f"{b}: ObjectOwnership BucketOwnerEnforced (ACLs off)", f"{own!r}")
        sse = [((c.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm"))
               for c in as_list((bp.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration"))]
        check(bool(sse) and all(a in ("AES256", "aws:kms", "aws:kms:dsse") for a in sse),
              f"{b}: default encryption ({', '.join(map(str, sse))})", f"{sse!r}")
        rules = as_list((bp.get("CorsConfiguration") or {}).get("CorsRules"))
        check(bool(rules), f"{b}: has CORS rules")
        for j, rule in enumerate(rules):
            origins = as_list(rule.get("AllowedOrigins"))
            check(len(origins) == 1 and ref_name(origins[0]) == "PublicUrl",
                  f"{b}: CORS rule {rule.get('Id') or j + 1}: AllowedOrigins = [!Ref PublicUrl] only",
                  f"origins are {origins!r}")
            methods = set(as_list(rule.get("AllowedMethods")))
            check(methods <= {"PUT", "GET"}, f"{b}: CORS rule {rule.get('Id') or j + 1}: methods within PUT/GET",
                  f"{sorted(methods)}")
        lc = as_list((bp.get("LifecycleConfiguration") or {}).get("Rules"))
        check(any(r.get("Status") == "Enabled" and r.get("AbortIncompleteMultipartUpload") for r in lc),
              f"{b}: lifecycle rule aborts incomplete multipart uploads")
        tls = False
        for k, r in resources_of(template, "AWS::S3::BucketPolicy").items():
            if ref_name(props(r).get("Bucket")) != b:
                continue
            for st in as_list((props(r).get("PolicyDocument") or {}).get("Statement")):
                cond = (st.get("Condition") or {}).get("Bool") or {}
                if st.get("Effect") == "Deny" and is_false(cond.get("aws:SecureTransport")) \
                        and st.get("Principal") in ("*", {"AWS": "*"}) and "s3:*" in as_list(st.get("Action")):
                    tls = True
        check(tls, f"{b}: bucket policy denies s3:* when aws:SecureTransport is false")

    check(bool(s3_buckets), "the role's S3 statement names a bucket of this template")
    check(bool(ddb_tables), "the role's DynamoDB statement names a table of this template")
    return report(path)


def report(path: Path) -> int:
    shown = [c for c in checked if c]
    if failures:
        print(f"check_identity_policy: FAILED: {path}: {len(failures)} propert{'y' if len(failures) == 1 else 'ies'}"
              f" violated ({len(shown)} held):", file=sys.stderr)
        for f in failures:
            print(f"  FAIL {f}", file=sys.stderr)
        return 1
    print(f"check_identity_policy: OK: {path}: {len(shown)} properties hold:")
    for c in shown:
        print(f"  ok   {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
