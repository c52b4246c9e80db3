"""Streamlit counterpart of gatehouse's password sign-in, for the sign-in benchmark.

Same flow as the seed design: an email/password form -> Cognito InitiateAuth
(USER_PASSWORD_AUTH) -> ID token claims kept in st.session_state -> a dashboard with
the email and the groups (cognito:groups).

Settings come from the environment (the bench does `set -a; . .local/stack.env`):
COGNITO_ENDPOINT, COGNITO_CLIENT_ID, AWS_REGION (and AWS_ACCESS_KEY_ID/SECRET for signing).
Run it with start.sh.
"""

import base64
import json
import os

import boto3
import streamlit as st
from botocore.exceptions import ClientError

st.set_page_config(page_title="Sign in", layout="centered")


@st.cache_resource
def cognito_client():
    # One client per server process (creating a boto3 client costs ~100 ms).
    return boto3.client(
        "cognito-idp",
        endpoint_url=os.environ.get("COGNITO_ENDPOINT") or None,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


def decode_claims(id_token: str) -> dict:
    # The signature is NOT verified here: the token comes straight from Cognito over the
    # connection we opened, which is what the seed app does too. A real deployment would
    # verify it against the pool's JWKS.
    payload = id_token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def sign_in(email: str, password: str) -> tuple[dict | None, str | None]:
    """Returns (claims, None) on success, (None, message) on failure."""
    try:
        resp = cognito_client().initiate_auth(
            ClientId=os.environ["COGNITO_CLIENT_ID"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        # cognito-local answers a wrong password with InvalidPasswordException; AWS with
        # NotAuthorizedException.
        if code in ("NotAuthorizedException", "UserNotFoundException", "InvalidPasswordException"):
            return None, "Incorrect email or password."
        if code == "PasswordResetRequiredException":
            return None, "A password reset is required for this account."
        if code == "UserNotConfirmedException":
            return None, "This account is not confirmed yet."
        return None, f"Sign-in failed ({code or 'error'})."
    result = resp.get("AuthenticationResult")
    if not result:
        # NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, ...: not part of this counterpart.
        return None, f"Sign-in needs a further step ({resp.get('ChallengeName')}), which this app does not support."
    return decode_claims(result["IdToken"]), None


def login_page() -> None:
    st.title("Sign in")
    with st.form("login"):
        email = st.text_input("Email", key="email", autocomplete="username")
        password = st.text_input("Password", type="password", key="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if not email.strip() or not password:
            st.error("Enter your email and password.")
            return
        claims, error = sign_in(email.strip(), password)
        if error:
            st.error(error)
            return
        st.session_state["claims"] = claims
        st.rerun()


def dashboard(claims: dict) -> None:
    st.header("Dashboard")
    st.caption("Signed in as")
    st.text(claims.get("email", ""))
    st.caption("Groups")
    groups = claims.get("cognito:groups") or []
    st.text(", ".join(groups) if groups else "No groups")
    if st.button("Sign out"):
        del st.session_state["claims"]
        st.rerun()


claims = st.session_state.get("claims")
if claims:
    dashboard(claims)
else:
    login_page()
