"""The original lab's web application, re-created for the benchmark: FastAPI
with SQLAlchemy's ORM on the database obslab seeds (same users, orders and
seed), serving the same two endpoints with the same bodies. No tracing at
all, as a new user first runs it (obslab's side of a comparison runs with
its tracing on).

The database is a SQLite file, or PostgreSQL: a libpq connection string or
URI ("host=/tmp/d port=5433 dbname=lab", "postgresql://host/lab"), handed
whole to psycopg2.connect (SQLAlchemy's postgresql+psycopg2 dialect), with the
lab's tables in obslab's schema obslab_lab (SQLAlchemy's
schema_translate_map: the models name no schema, as on SQLite).

    OBSLAB_PEER_DB=lab.db /usr/bin/python3 -m uvicorn app:app --port 8001

bench/serve.sh runs it as `/usr/bin/python3 bench/peer/app.py DB`: one
uvicorn worker on a free loopback port (bound here, so no port is guessed),
without the access log (obslab serve writes no line a request either); it
prints "peer: serving http://127.0.0.1:PORT/" on stderr once it listens.

bench/pg.sh runs `app.py --time DB naive|optimized REQUESTS`: the endpoint's
function called in this process (no HTTP, as `obslab run` has none), the
body serialized to JSON as FastAPI would; after one warm-up request it
prints the median milliseconds per request.
"""
import json
import os
import socket
import statistics
import sys
import time

from fastapi import FastAPI
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func
from sqlalchemy.orm import Session, declarative_base

PG_SCHEMA = "obslab_lab"  # include/obslab/pg.h's PG_SCHEMA


def is_postgresql(db):
    """A libpq URI or a key=value connection string, not a file path."""
    return db.startswith(("postgresql://", "postgres://")) or "=" in db.split("/")[0]


def make_engine(db):
    if is_postgresql(db):
        import psycopg2

        return create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(db)).execution_options(
            schema_translate_map={None: PG_SCHEMA}
        )
    return create_engine("sqlite:///" + db, connect_args={"check_same_thread": False})


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] != "--time":
    os.environ["OBSLAB_PEER_DB"] = sys.argv[1]
if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--time":
    os.environ["OBSLAB_PEER_DB"] = sys.argv[2]
engine = make_engine(os.environ.get("OBSLAB_PEER_DB", "lab.db"))
Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(String, unique=True)
    email = Column(String, unique=True)


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"))
    product_name = Column(String)
    quantity = Column(Integer)


app = FastAPI()


def row(user, count):
    return {"id": user.id, "username": user.username, "email": user.email, "order_count": count}


@app.get("/users/analytics")
def analytics_naive():
    with Session(engine) as session:
        users = session.query(User).order_by(User.id).all()
        result = [row(u, session.query(Order).filter(Order.user_id == u.id).count()) for u in users]
    n = len(users)
    return {
        "implementation": "naive",
        "warning": f"N+1 query problem: 1 query for the users + 1 query per user = {n + 1} queries",
        "total_users": n,
        "users": result,
    }


@app.get("/users/analytics/optimized")
def analytics_optimized():
    with Session(engine) as session:
        rows = (
            session.query(User, func.count(Order.id))
            .outerjoin(Order, Order.user_id == User.id)
            .group_by(User.id)
            .order_by(User.id)
            .all()
        )
        result = [row(u, c) for u, c in rows]
    return {
        "implementation": "optimized",
        "info": "Optimized: 1 query with LEFT JOIN and GROUP BY",
        "total_users": len(result),
        "users": result,
    }


def time_requests(endpoint, requests):
    """Median ms of the endpoint's function and its JSON body, after one warm-up."""
    handler = {"naive": analytics_naive, "optimized": analytics_optimized}[endpoint]
    json.dumps(handler())
    times = []
    for _ in range(requests):
        t0 = time.perf_counter_ns()
        json.dumps(handler())
        times.append((time.perf_counter_ns() - t0) / 1e6)
    return statistics.median(times)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--time":
    if len(sys.argv) != 5 or sys.argv[3] not in ("naive", "optimized") or not sys.argv[4].isdigit():
        print("usage: app.py --time DB naive|optimized REQUESTS", file=sys.stderr)
        sys.exit(2)
    print(f"{time_requests(sys.argv[3], max(1, int(sys.argv[4]))):.3f}")
elif __name__ == "__main__":
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts
    print(f"peer: serving http://127.0.0.1:{sock.getsockname()[1]}/", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
