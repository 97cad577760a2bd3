# Test cases for py-sql-injection: `ruleid:` marks the next line as one that must be reported,
# `ok:` one that must not. Run with: prwarden rules test
import re
import sqlite3

import pandas as pd
from django.db import connection
from django.db.models.expressions import RawSQL
from fastapi import FastAPI
from flask import Flask, abort, request
from psycopg2 import sql
from sqlalchemy import text

from myapp.models import User

app = Flask(__name__)
api = FastAPI()
USERS_TABLE = "users"


@app.route("/user")
def get_user():
    username = request.args.get("username")
    conn = sqlite3.connect("app.db")
    cursor = conn.cursor()
    # ruleid: py-sql-injection
    cursor.execute(f"SELECT * FROM users WHERE username = '{username}'")
    return cursor.fetchone()


def find_orders(customer_id):
    query = "SELECT id, total FROM orders WHERE customer_id = %s" % customer_id
    with connection.cursor() as cur:
        # ruleid: py-sql-injection
        cur.execute(query)
        return cur.fetchall()


def search_products(request):
    term = request.GET.get("q", "")
    sql_text = "SELECT * FROM products WHERE name LIKE '%" + term + "%'"
    # ruleid: py-sql-injection
    rows = connection.cursor().execute(sql_text).fetchall()
    return rows


def delete_user(db, user_id):
    # A multi-line call: editing any of its lines reports it.
    # ruleid: py-sql-injection
    db.execute(
        "DELETE FROM users WHERE id = {}".format(user_id)
    )


def django_raw(request):
    name = request.GET["name"]
    # ruleid: py-sql-injection
    return User.objects.raw(f"SELECT * FROM auth_user WHERE first_name = '{name}'")


@api.get("/items")
async def list_items(session, sort: str):
    # ruleid: py-sql-injection
    result = await session.execute(text(f"SELECT * FROM items ORDER BY {sort}"))
    return result.all()


def report(conn, start):
    # ruleid: py-sql-injection
    return pd.read_sql(f"SELECT * FROM sales WHERE day >= '{start}'", conn)


def annotate(queryset, flag):
    # ruleid: py-sql-injection
    return queryset.annotate(flagged=RawSQL("SELECT %s FROM flags" % flag, []))


def legacy_filter(queryset, status):
    # ruleid: py-sql-injection
    return queryset.extra(where=["status = '%s'" % status])


SELECT_BY_EMAIL = "SELECT * FROM users WHERE email = '%s'"


def by_email(cursor, email):
    # ruleid: py-sql-injection
    cursor.execute(SELECT_BY_EMAIL % email)


def update_email(conn, user_id, email):
    stmt = f"UPDATE users SET email = '{email}' WHERE id = {user_id}"
    try:
        # ruleid: py-sql-injection
        conn.execute(stmt)
    finally:
        conn.close()


def filter_users(cur, where_clause):
    sql_text = "SELECT id, name FROM users"
    sql_text += " WHERE " + where_clause
    # ruleid: py-sql-injection
    for row in cur.execute(sql_text):
        yield row


def sqlalchemy_text(db, term):
    stmt = f"SELECT * FROM items WHERE name LIKE '%{term}%'"
    # ruleid: py-sql-injection
    return db.session.execute(text(stmt)).all()


@app.route("/user-safe")
def get_user_safe():
    username = request.args.get("username")
    cursor = sqlite3.connect("app.db").cursor()
    # ok: py-sql-injection
    cursor.execute("SELECT * FROM users WHERE username = ?", (username,))
    return cursor.fetchone()


def find_orders_safe(customer_id):
    query = "SELECT id, total FROM orders WHERE customer_id = %s"
    with connection.cursor() as cur:
        # ok: py-sql-injection
        cur.execute(query, [customer_id])
        return cur.fetchall()


def sqlalchemy_safe(session, user_id):
    # ok: py-sql-injection
    return session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id})


def psycopg_identifier(cur, table):
    # psycopg's sql module quotes identifiers.
    # ok: py-sql-injection
    cur.execute(sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table)), (1,))


def constant_table(cur, user_id):
    # ok: py-sql-injection
    cur.execute(f"SELECT * FROM {USERS_TABLE} WHERE id = %s", (user_id,))


def by_ids(cur, ids):
    placeholders = ", ".join(["%s"] * len(ids))
    # Only the placeholders are formatted in; the values go as parameters.
    # ok: py-sql-injection
    cur.execute(f"SELECT * FROM users WHERE id IN ({placeholders})", ids)


def sqlalchemy_core(conn, users, user_id):
    stmt = users.select().where(users.c.id == user_id)
    # ok: py-sql-injection
    return conn.execute(stmt).fetchall()


def django_orm(request):
    # ok: py-sql-injection
    return User.objects.filter(username=request.GET["name"])


def django_raw_params(request):
    # ok: py-sql-injection
    return User.objects.raw("SELECT * FROM auth_user WHERE last_name = %s", [request.GET["name"]])


def log_query(logger, user_id):
    # Formatting that is not SQL, into a call that is not a database.
    # ok: py-sql-injection
    logger.info(f"SELECT for user {user_id} took too long")
    # ok: py-sql-injection
    message = f"user {user_id} selected from the menu"
    return message


def run_command(executor, name):
    # ok: py-sql-injection
    executor.execute(f"deploy {name}")


# ok: py-sql-injection
SCHEMA = "CREATE TABLE users (id INTEGER PRIMARY KEY, " + "name TEXT)"

# ok: py-sql-injection
# cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")


SORT_COLUMNS = {"name", "created_at", "price"}


# --- Real-world idioms ---------------------------------------------------------------------------


@app.route("/products")
def list_products_by_category():
    category = request.args.get("category", "")
    conn = sqlite3.connect("shop.db")
    # ok: py-sql-injection
    rows = conn.execute("SELECT id, name FROM products WHERE category = ?", (category,)).fetchall()
    return {"rows": rows}


@app.route("/products/search")
def search_products_fstring():
    term = request.args.get("q", "")
    conn = sqlite3.connect("shop.db")
    # ruleid: py-sql-injection
    rows = conn.execute(f"SELECT id, name FROM products WHERE name LIKE '%{term}%'").fetchall()
    return {"rows": rows}


def orders_for(cursor, customer_id):
    # ok: py-sql-injection
    cursor.execute("SELECT * FROM orders WHERE customer_id = %s AND status = %s", (customer_id, "open"))
    return cursor.fetchall()


def orders_for_formatted(cursor, customer_id):
    # ruleid: py-sql-injection
    cursor.execute("SELECT * FROM orders WHERE customer_id = %s" % customer_id)
    return cursor.fetchall()


@app.route("/products/sorted")
def sorted_products():
    column = request.args.get("sort", "name")
    if column not in SORT_COLUMNS:
        abort(400)
    conn = sqlite3.connect("shop.db")
    # The column is one of the program's own names: an allow-list is the fix for identifiers.
    # ok: py-sql-injection
    rows = conn.execute(f"SELECT id, name FROM products ORDER BY {column}").fetchall()
    return {"rows": rows}


@app.route("/products/sorted-unchecked")
def sorted_products_unchecked():
    column = request.args.get("sort", "name")
    conn = sqlite3.connect("shop.db")
    # ruleid: py-sql-injection
    rows = conn.execute(f"SELECT id, name FROM products ORDER BY {column}").fetchall()
    return {"rows": rows}


@app.route("/products/page")
def page_of_products():
    page = int(request.args.get("page", "1"))
    conn = sqlite3.connect("shop.db")
    # ok: py-sql-injection
    rows = conn.execute(f"SELECT id, name FROM products LIMIT 20 OFFSET {(page - 1) * 20}").fetchall()
    return {"rows": rows}


def archive_table(cursor, table):
    if not re.fullmatch(r"[a-z_]{1,63}", table):
        raise ValueError(table)
    # ok: py-sql-injection
    cursor.execute(f"DELETE FROM {table} WHERE archived_at < now() - interval '1 year'")


def rename_user(cursor, user_id, name):
    # ruleid: py-sql-injection
    cursor.execute("UPDATE users SET name = '" + name + "' WHERE id = %s", (user_id,))
