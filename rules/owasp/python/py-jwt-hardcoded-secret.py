# Test cases for py-jwt-hardcoded-secret: `ruleid:` marks the next line as one that must be
# reported, `ok:` one that must not. Run with: prwarden rules test
import codecs
import datetime
import os

import jwt
import jwt as pyjwt
from authlib.jose import jwt as authlib_jwt
from django.conf import settings
from flask import Flask, current_app, request
from jose import jwt as jose_jwt
from jwt import decode, encode

app = Flask(__name__)

SECRET = "s3cr3t-signing-key"
ALGORITHM = "HS256"


def issue_token(user_id):
    payload = {"sub": user_id, "exp": datetime.datetime.utcnow() + datetime.timedelta(hours=1)}
    # ruleid: py-jwt-hardcoded-secret
    return jwt.encode(payload, "my-super-secret", algorithm="HS256")


@app.route("/me")
def me():
    token = request.headers["Authorization"].removeprefix("Bearer ")
    # ruleid: py-jwt-hardcoded-secret
    claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM])
    return claims


def refresh(claims):
    # A multi-line call with the key as a keyword: the finding spans the statement.
    # ruleid: py-jwt-hardcoded-secret
    return pyjwt.encode(
        claims,
        key=SECRET,
        algorithm=ALGORITHM,
    )


def verify_jose(token):
    # ruleid: py-jwt-hardcoded-secret
    return jose_jwt.decode(token, "changeme", algorithms=["HS256"])


def sign_by_name(payload):
    # ruleid: py-jwt-hardcoded-secret
    return encode(payload, "dev-secret", algorithm="HS256")


def check_by_name(token):
    # ruleid: py-jwt-hardcoded-secret
    return decode(token, algorithms=["HS256"], key=SECRET)


def authlib_token(payload):
    # ruleid: py-jwt-hardcoded-secret
    return authlib_jwt.encode({"alg": "HS256"}, payload, "authlib-secret")


# Flask-JWT-Extended reads its signing key from this setting.
# ruleid: py-jwt-hardcoded-secret
app.config["JWT_SECRET_KEY"] = "super-secret"

# ok: py-jwt-hardcoded-secret
app.config["JWT_SECRET_KEY"] = os.environ["JWT_SECRET_KEY"]


def env_token(payload):
    # ok: py-jwt-hardcoded-secret
    return jwt.encode(payload, os.environ["JWT_SECRET"], algorithm="HS256")


def getenv_token(token):
    # ok: py-jwt-hardcoded-secret
    return jwt.decode(token, os.getenv("JWT_SECRET"), algorithms=["HS256"])


def settings_token(payload):
    # ok: py-jwt-hardcoded-secret
    return jwt.encode(payload, settings.SECRET_KEY, algorithm="HS256")


def param_token(payload, secret_key):
    # ok: py-jwt-hardcoded-secret
    return pyjwt.encode(payload, key=secret_key, algorithm="HS256")


def rsa_token(payload):
    with open("keys/private.pem") as handle:
        private_key = handle.read()
    # ok: py-jwt-hardcoded-secret
    return jwt.encode(payload, private_key, algorithm="RS256")


def unverified(token):
    # ok: py-jwt-hardcoded-secret
    return jwt.decode(token, options={"verify_signature": False})


# codecs.encode and str.encode are not JWT.
# ok: py-jwt-hardcoded-secret
rot = codecs.encode("hello", "rot13")

# ok: py-jwt-hardcoded-secret
raw = "payload".encode("utf-8")

# ok: py-jwt-hardcoded-secret
text = encode("hello", "utf-8")

# ok: py-jwt-hardcoded-secret
NOTE = "never call jwt.encode(payload, 'secret') with a literal key"


# --- Real-world idioms ---------------------------------------------------------------------------

ENV_JWT_SECRET = os.environ["JWT_SECRET"]


def access_token(user):
    payload = {"sub": str(user.id), "exp": datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=15)}
    # ok: py-jwt-hardcoded-secret
    return jwt.encode(payload, ENV_JWT_SECRET, algorithm="HS256")


def flask_token(user):
    # ok: py-jwt-hardcoded-secret
    return jwt.encode({"sub": user.id}, current_app.config["SECRET_KEY"], algorithm="HS256")


def django_token(user):
    # ok: py-jwt-hardcoded-secret
    return jwt.encode({"sub": user.pk}, settings.SECRET_KEY, algorithm="HS256")


def test_helper_token():
    # ruleid: py-jwt-hardcoded-secret
    return jwt.encode({"sub": "test"}, "not-so-secret", algorithm="HS256")


def verify(token):
    # ruleid: py-jwt-hardcoded-secret
    return jwt.decode(token, key="changeme", algorithms=["HS256"])
