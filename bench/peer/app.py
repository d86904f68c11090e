"""The original lab's web application, re-created for the benchmark: FastAPI
with SQLAlchemy's ORM on the same SQLite database obslab seeds (same users,
orders and seed), serving the same two endpoints with the same bodies. No
tracing at all, as a new user first runs it.

    OBSLAB_PEER_DB=lab.db /usr/bin/python3 -m uvicorn app:app --port 8001

bench/serve.sh runs it as `/usr/bin/python3 bench/peer/app.py DB`: one
uvicorn worker on a free loopback port (bound here, so no port is guessed),
without the access log (obslab serve writes no line a request either); it
prints "peer: serving http://127.0.0.1:PORT/" on stderr once it listens.
"""
import os
import socket
import sys

from fastapi import FastAPI
from sqlalchemy import Column, ForeignKey, Integer, String, create_engine, func
from sqlalchemy.orm import Session, declarative_base

if __name__ == "__main__" and len(sys.argv) > 1:
    os.environ["OBSLAB_PEER_DB"] = sys.argv[1]
engine = create_engine(
    "sqlite:///" + os.environ.get("OBSLAB_PEER_DB", "lab.db"),
    connect_args={"check_same_thread": False},
)
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


if __name__ == "__main__":
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections wait in the backlog until uvicorn accepts
    print(f"peer: serving http://127.0.0.1:{sock.getsockname()[1]}/", file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])
