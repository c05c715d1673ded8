"""HTTP transport to the sync server (requests).

Every call is safe to repeat (pushes carry mutation ids the server remembers), so a
dropped connection is retried a few times before the error reaches the caller. So is a
reply that arrives damaged: cut inside its headers (http.client then reports a 200 with
no headers and an empty body), without the length the server always states, with a body
that does not decode or is not the JSON the call expects. All of these end as a
:class:`SyncError`, never as a bug.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import orjson
import pydantic
import requests

from fieldapp.sync.errors import (
    AuthRequired,
    Forbidden,
    IncompatibleServer,
    SyncError,
    Throttled,
    Unreachable,
)
from fieldapp.sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    SCHEMA_HEADER,
    SCHEMA_VERSION,
    ConflictInfo,
    Hello,
    HelloReply,
    HistoryItem,
    HistoryReply,
    LoginReply,
    Mutation,
    MutationResult,
    PushReply,
)

log = logging.getLogger(__name__)

RETRYABLE = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
# Statuses whose replies carry no body, hence no length (RFC 9110 6.4.1).
_NO_BODY = frozenset({204, 304})
M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")


class DamagedReply(Exception):
    """The reply was cut or garbled on its way; asking again may get a whole one."""


class Transport:
    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        protocol: int = PROTOCOL_VERSION,
        schema_version: int = SCHEMA_VERSION,
    ) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.protocol = protocol
        self.schema_version = schema_version
        self.http = requests.Session()
        self.bytes_sent = 0
        self.bytes_received = 0

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """The reply's JSON, after retries (a reply that is not JSON is asked for again)."""
        return self._body(method, path, body, parse=True, **params)

    def _model(self, model: type[M], value: Any, path: str) -> M:
        try:
            return model.model_validate(value)
        except pydantic.ValidationError as exc:
            raise SyncError(f"the server sent a reply this client cannot read ({path})") from exc

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            PROTOCOL_HEADER: str(self.protocol),
            SCHEMA_HEADER: str(self.schema_version),
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _exchange(
        self,
        method: str,
        path: str,
        read: Callable[[requests.Response], T],
        *,
        data: bytes | str | None = None,
        headers: dict[str, str],
        params: dict[str, Any] | None = None,
        stream: bool = False,
    ) -> tuple[requests.Response, T]:
        """One call with the retry policy: the response (any status) and ``read(response)``.

        ``read`` runs inside the retries, so a reply it finds cut or garbled
        (:class:`DamagedReply`, or a body that breaks off) is asked for again.
        """
        for attempt in range(self.retries + 1):
            try:
                resp = self.http.request(
                    method,
                    self.server + path,
                    data=data,
                    params=params or None,
                    headers=headers,
                    timeout=self.timeout,
                    stream=stream,
                )
                return resp, read(resp)
            except RETRYABLE as exc:
                if attempt == self.retries:
                    log.info("%s %s failed: %s", method, path, exc)
                    raise Unreachable(self.server) from exc
            except DamagedReply as exc:
                if attempt == self.retries:
                    raise SyncError(
                        f"the server's replies arrive damaged ({exc}); try again later"
                    ) from exc
            except requests.RequestException as exc:  # a bad address, too many redirects
                log.info("%s %s failed: %s", method, path, exc)
                raise Unreachable(self.server) from exc
            time.sleep(min(2.0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _body(
        self, method: str, path: str, body: Any = None, *, parse: bool = False, **params: Any
    ) -> Any:
        """The reply's bytes (or its JSON with ``parse``), after retries; a refusal raises."""
        headers = self._headers()
        data = None
        if body is not None:
            data = body if isinstance(body, bytes | str) else json.dumps(body)
            headers["Content-Type"] = "application/json"

        def read(resp: requests.Response) -> tuple[bytes, Any]:
            content = resp.content
            _check_framing(resp)
            parsed = _parse_json(content) if parse and resp.status_code < 400 else None
            return content, parsed

        resp, (content, parsed) = self._exchange(
            method, path, read, data=data, headers=headers, params=params
        )
        self.bytes_sent += len(data or b"")
        self.bytes_received += len(content)
        if resp.status_code >= 400:
            self._raise(resp)
        return parsed if parse else content

    def raw(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        *,
        headers: dict[str, str] | None = None,
        accept: Collection[int] = (),
        stream: bool = False,
    ) -> requests.Response:
        """A call with a raw body (attachment bytes) and the same retries as every call.

        Statuses below 400 and those in ``accept`` come back as the response (the
        caller reads it; with ``stream`` its body is left unread, to be read in
        pieces); any other refusal raises as for every call.
        """

        def read(resp: requests.Response) -> None:
            if not stream:
                resp.content  # noqa: B018 - read inside the retries: a cut body is asked again
                _check_framing(resp)

        resp, _ = self._exchange(
            method, path, read, data=data, headers=self._headers(headers), stream=stream
        )
        self.bytes_sent += len(data or b"")
        if resp.status_code >= 400 and resp.status_code not in accept:
            with resp:
                self._raise(resp)
        return resp

    def _raise(self, resp: requests.Response) -> None:
        try:
            detail = resp.json().get("detail")
        except ValueError:
            detail = None
        if not isinstance(detail, str):
            detail = f"HTTP {resp.status_code} {resp.reason}"
        if resp.status_code == 401:
            raise AuthRequired(detail)
        if resp.status_code == 426:
            raise IncompatibleServer(detail)
        if resp.status_code == 429:
            raise Throttled(detail)
        if resp.status_code == 403:
            raise Forbidden(detail)
        raise SyncError(f"the server refused: {detail}")

    def reachable(self, timeout: float = 3.0) -> bool:
        """Whether the server answers its health check now (no retries, a short wait)."""
        try:
            return self.http.get(self.server + "/health", timeout=timeout).ok
        except requests.RequestException:
            return False

    def login(self, username: str, password: str) -> LoginReply:
        reply = self._model(
            LoginReply,
            self._request("POST", "/auth/login", {"username": username, "password": password}),
            "/auth/login",
        )
        self.token = reply.token
        return reply

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Any other endpoint (the admin API, sync/admin_api.py): its JSON reply, or None."""
        return self._request(method, path, body, **params)

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's password; their other sign-ins end."""
        self._request("POST", "/auth/password", {"old_password": old, "new_password": new})

    def logout(self) -> None:
        self._request("POST", "/auth/logout")
        self.token = None

    def hello(self, client_id: str | None = None) -> HelloReply:
        body = Hello(
            protocol=self.protocol, schema_version=self.schema_version, client_id=client_id
        )
        return self._model(
            HelloReply, self._request("POST", "/sync/hello", body.model_dump_json()), "/sync/hello"
        )

    def push(
        self, mutations: list[Mutation], client_id: str | None = None, scope_seq: int = 0
    ) -> list[MutationResult]:
        payload = (
            '{"client_id":'
            + json.dumps(client_id)
            + f',"scope_seq":{int(scope_seq)}'
            + ',"mutations":['
            + ",".join(m.model_dump_json() for m in mutations)
            + "]}"
        )
        return self._model(
            PushReply, self._request("POST", "/sync/push", payload), "/sync/push"
        ).results

    def pull_body(
        self,
        cursor: int,
        limit: int,
        scope_seq: int,
        total: bool = False,
        client_id: str | None = None,
    ) -> bytes:
        """The reply to a pull, undecoded (see :func:`fieldapp.sync.incoming.decode`)."""
        params: dict[str, Any] = {
            "cursor": cursor,
            "limit": limit,
            "scope_seq": scope_seq,
            "total": "true" if total else "false",
        }
        if client_id:
            params["client_id"] = client_id
        return self._body("GET", "/sync/pull", **params)

    def fetch_body(self, account_ids: list[str], through: int | None = None) -> bytes:
        """The records of accounts that entered the scope, undecoded, as a pull's: those
        of version ``through`` or older (the rest come with the pull), or all of them."""
        body: dict[str, Any] = {"account_ids": account_ids}
        if through is not None:
            body["through"] = through
        return self._body("POST", "/sync/fetch", body)

    def conflicts(self, include_resolved: bool = False) -> list[ConflictInfo]:
        rows = self._request("GET", "/conflicts", all="true" if include_resolved else "false")
        if not isinstance(rows, list):
            raise SyncError("the server sent a reply this client cannot read (/conflicts)")
        return [self._model(ConflictInfo, r, "/conflicts") for r in rows]

    def history(self, entity: str, record_id: str) -> list[HistoryItem]:
        """A record's entries in the server's audit trail, oldest first."""
        path = f"/history/{entity}/{record_id}"
        return self._model(HistoryReply, self._request("GET", path), path).entries

    def resolve(self, conflict_id: str, keep: str) -> ConflictInfo:
        path = f"/conflicts/{conflict_id}/resolve"
        return self._model(ConflictInfo, self._request("POST", path, {"keep": keep}), path)


def _check_framing(resp: requests.Response) -> None:
    """Raise :class:`DamagedReply` for a reply that cannot be whole.

    The server states the length of every reply (Content-Length or chunked), so one
    without either was cut: http.client reads a reply cut inside its headers as a 200
    with whatever headers arrived and an empty body. urllib3 checks a stated length.
    """
    if resp.status_code in _NO_BODY or 100 <= resp.status_code < 200:
        return
    framed = (
        "content-length" in resp.headers
        or "chunked" in resp.headers.get("transfer-encoding", "").lower()
    )
    if not framed:
        raise DamagedReply("a reply was cut short")


def _parse_json(content: bytes) -> Any:
    if not content:
        return None
    try:
        # orjson: a pull chunk of 20k records parses in half the time of json's.
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise DamagedReply("a reply was not JSON") from exc
