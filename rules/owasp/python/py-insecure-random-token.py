# Test cases for py-insecure-random-token: `ruleid:` marks the next line as one that must be
# reported, `ok:` one that must not. Run with: prwarden rules test
import random
import secrets
import string
import time
import uuid
from random import choices, randint

import numpy as np
from flask import Flask, session

app = Flask(__name__)
ALPHABET = string.ascii_letters + string.digits


def generate_token(length=32):
    # ruleid: py-insecure-random-token
    return "".join(random.choice(ALPHABET) for _ in range(length))


def create_user(email):
    # ruleid: py-insecure-random-token
    temp_password = "".join(choices(ALPHABET, k=12))
    return {"email": email, "password": temp_password}


@app.route("/otp")
def send_otp():
    # ruleid: py-insecure-random-token
    otp = random.randint(100000, 999999)
    return {"sent": True, "otp_len": len(str(otp))}


def login_view(request):
    # ruleid: py-insecure-random-token
    session["csrf_token"] = str(random.getrandbits(128))
    return "ok"


class PasswordReset:
    def __init__(self, user):
        self.user = user
        # ruleid: py-insecure-random-token
        self.reset_token = "%032x" % random.getrandbits(128)


def new_api_key():
    # ruleid: py-insecure-random-token
    api_key = hex(randint(0, 2**64))
    return api_key


def make_nonce():
    # A multi-line call: editing any of its lines reports it.
    # ruleid: py-insecure-random-token
    nonce = "".join(
        random.choices(string.hexdigits, k=16)
    )
    return nonce


def issue_invite(email):
    # ruleid: py-insecure-random-token
    return send_mail(email, invite_code=random.randrange(10**8))


def request_password_reset(user):
    # The common idiom: the name is given to the joined string, not to the random call.
    # ruleid: py-insecure-random-token
    reset_token = "".join(random.choice(ALPHABET) for _ in range(24))
    # ruleid: py-insecure-random-token
    pin = "".join([str(random.randint(0, 9)) for _ in range(6)])
    return reset_token, pin


class SessionStore:
    def create(self):
        # ruleid: py-insecure-random-token
        session_id = "%016x" % random.getrandbits(64)
        return session_id


# ok: py-insecure-random-token
token = secrets.token_urlsafe(32)


def generate_password():
    # ok: py-insecure-random-token
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


def session_secret():
    # SystemRandom draws from os.urandom.
    # ok: py-insecure-random-token
    return "".join(random.SystemRandom().choice(ALPHABET) for _ in range(32))


def retry_with_backoff(attempt):
    # ok: py-insecure-random-token
    delay = random.uniform(0.5, 1.5) * 2**attempt
    time.sleep(delay)


def pick_colour():
    # ok: py-insecure-random-token
    colour = random.choice(["red", "green", "blue"])
    return colour


def shuffle_deck(cards):
    # ok: py-insecure-random-token
    sample = random.sample(cards, k=5)
    return sample


# ok: py-insecure-random-token
request_id = str(uuid.uuid4())

# ok: py-insecure-random-token
jitter = np.random.rand() * 0.1


def tokenize(text):
    # `tokenizer` is not the word `token`.
    # ok: py-insecure-random-token
    tokenizer_seed = random.randint(0, 100)
    return text.split(), tokenizer_seed


def warm_cache(keys):
    # ok: py-insecure-random-token
    cache_key = random.choice(keys)
    return cache_key


# ok: py-insecure-random-token
NOTE = "never use random.choice() for a password"


# --- Real-world idioms ---------------------------------------------------------------------------

_sysrand = random.SystemRandom()


def make_api_key():
    # ok: py-insecure-random-token
    return secrets.token_hex(32)


def make_reset_token():
    # ok: py-insecure-random-token
    return "".join(_sysrand.choice(string.ascii_letters + string.digits) for _ in range(40))


def make_invite_code():
    # ok: py-insecure-random-token
    return random.SystemRandom().randint(100000, 999999)


def make_password(length=16):
    alphabet = string.ascii_letters + string.digits + string.punctuation
    # ruleid: py-insecure-random-token
    return "".join(random.choice(alphabet) for _ in range(length))


def generate_otp():
    # ruleid: py-insecure-random-token
    return str(random.randint(0, 999999)).zfill(6)


def new_session():
    # ruleid: py-insecure-random-token
    session_id = "%032x" % random.getrandbits(128)
    return {"session_id": session_id, "created": time.time()}


def call_with_backoff(fn, attempts=5):
    for attempt in range(attempts):
        try:
            return fn()
        except ConnectionError:
            # ok: py-insecure-random-token
            time.sleep(2**attempt + random.uniform(0, 1))
    raise RuntimeError("gave up")


def shuffled_questions(questions):
    # ok: py-insecure-random-token
    return random.sample(questions, k=len(questions))


def request_id():
    # ok: py-insecure-random-token
    return uuid.uuid4().hex
