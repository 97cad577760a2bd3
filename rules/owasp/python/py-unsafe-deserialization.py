# Test cases for py-unsafe-deserialization: `ruleid:` marks the next line as one that must be
# reported, `ok:` one that must not. Run with: prwarden rules test
import base64
import json
import marshal
import pickle
import pickle as pkl

import dill
import jsonpickle
import yaml
from django.http import JsonResponse
from fastapi import FastAPI, UploadFile
from flask import Flask, request

app = Flask(__name__)
api = FastAPI()


@app.route("/restore", methods=["POST"])
def restore():
    # ruleid: py-unsafe-deserialization
    state = pickle.loads(request.data)
    return {"restored": len(state)}


@app.route("/session")
def load_session():
    raw = base64.b64decode(request.cookies.get("state", ""))
    # ruleid: py-unsafe-deserialization
    return str(pkl.loads(raw))


def django_import(request):
    # ruleid: py-unsafe-deserialization
    config = yaml.load(request.body)
    return JsonResponse(config)


@api.post("/upload")
async def upload(file: UploadFile):
    content = await file.read()
    # A multi-line call: editing any of its lines reports it.
    # ruleid: py-unsafe-deserialization
    settings = yaml.load(
        content,
        Loader=yaml.Loader,
    )
    return settings


def read_cache(path):
    with open(path, "rb") as handle:
        # ruleid: py-unsafe-deserialization
        return pickle.load(handle)


def read_config(stream):
    # ruleid: py-unsafe-deserialization
    return yaml.load(stream, yaml.FullLoader)


def load_all_docs(text):
    # ruleid: py-unsafe-deserialization
    return list(yaml.unsafe_load_all(text))


def from_queue(message):
    # ruleid: py-unsafe-deserialization
    task = dill.loads(message.body)
    # ruleid: py-unsafe-deserialization
    obj = jsonpickle.decode(message.headers["payload"])
    return task, obj


def load_code(blob):
    # ruleid: py-unsafe-deserialization
    return marshal.loads(blob)


@app.route("/import", methods=["POST"])
def import_json():
    # ok: py-unsafe-deserialization
    data = json.loads(request.data)
    return data


def safe_config(stream):
    # ok: py-unsafe-deserialization
    return yaml.safe_load(stream)


def safe_loader(stream):
    # ok: py-unsafe-deserialization
    return yaml.load(stream, Loader=yaml.SafeLoader)


def csafe_loader(stream):
    # ok: py-unsafe-deserialization
    return yaml.load(
        stream,
        Loader=yaml.CSafeLoader,
    )


def save_cache(path, obj):
    with open(path, "wb") as handle:
        # ok: py-unsafe-deserialization
        pickle.dump(obj, handle)
    # ok: py-unsafe-deserialization
    return pickle.dumps(obj)


# A constant: nothing can flow into it.
# ok: py-unsafe-deserialization
DEFAULTS = yaml.load("retries: 3\ntimeout: 10")

# ok: py-unsafe-deserialization
EMPTY = pickle.loads(b"\x80\x04]\x94.")

# ok: py-unsafe-deserialization
NOTE = "never pickle.loads(request.data) or yaml.load(body)"

# ok: py-unsafe-deserialization
# state = pickle.loads(request.data)


# --- Real-world idioms ---------------------------------------------------------------------------


def load_settings(path):
    with open(path, encoding="utf-8") as fh:
        # ok: py-unsafe-deserialization
        return yaml.safe_load(fh)


def load_compose(text):
    # ok: py-unsafe-deserialization
    return yaml.load(text, Loader=yaml.SafeLoader)


def load_all_safe_docs(text):
    # ok: py-unsafe-deserialization
    return list(yaml.safe_load_all(text))


@app.route("/import", methods=["POST"])
def import_config():
    # ruleid: py-unsafe-deserialization
    config = yaml.load(request.data, Loader=yaml.FullLoader)
    return {"keys": list(config)}


@app.route("/import-legacy", methods=["POST"])
def import_legacy():
    # ruleid: py-unsafe-deserialization
    config = yaml.load(request.get_data())
    return {"keys": list(config)}


def read_redis_cache(redis_client, key):
    raw = redis_client.get(key)
    # ruleid: py-unsafe-deserialization
    return pickle.loads(raw) if raw else None


def write_cache(redis_client, key, value):
    # ok: py-unsafe-deserialization
    redis_client.set(key, pickle.dumps(value))


def load_model(path):
    with open(path, "rb") as fh:
        # ruleid: py-unsafe-deserialization
        return pickle.load(fh)
