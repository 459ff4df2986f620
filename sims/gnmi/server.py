"""The gNMI service of one simulated device, on ``grpc.aio`` in the fleet's event loop.

Each device gets its own ``grpc.aio`` server (they share grpc's poller, so a thousand cost
little) bound to its own port. Every RPC checks the ``username``/``password`` metadata against
the device's credentials. Handlers run synchronously in the loop, like the NETCONF sessions, so a
Set is atomic with respect to every other session of the device. Requests are validated before
anything is applied; a bad one gets a gRPC status and never affects other RPCs or devices.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from gnoi_pb import system_pb2_grpc
from sims.device import SimDevice
from sims.errors import RpcError
from sims.gnmi.codec import Codec
from sims.gnmi.get import build_get
from sims.gnmi.modules import GnmiError, table_for
from sims.gnmi.setops import build_set
from sims.gnmi.subscribe import SubscribeSession
from sims.gnmi.tls import TlsMaterial
from sims.gnoi import GnoiSystemServicer

log = logging.getLogger(__name__)
T = TypeVar("T")
GNMI_VERSION = "0.8.0"
GNMI_SESSION_ID = 0  # never a NETCONF session id: gNMI holds no locks and yields to theirs
ENCODINGS = (gnmi_pb2.Encoding.JSON, gnmi_pb2.Encoding.JSON_IETF)
SERVER_OPTIONS = [("grpc.so_reuseport", 0)]
_LOCKED = frozenset({"in-use", "lock-denied"})
_INVALID = frozenset({"invalid-value", "missing-element", "unknown-element", "bad-element", "data-missing"})


def status_of(error: RpcError) -> grpc.StatusCode:
    """The gRPC status for a datastore refusal of a Set transaction (a YANG constraint the new
    tree breaks, an operation-failed naming a node, is the request's fault: INVALID_ARGUMENT)."""
    if error.tag in _LOCKED:
        return grpc.StatusCode.FAILED_PRECONDITION
    if error.tag in _INVALID or (error.tag == "operation-failed" and error.path):
        return grpc.StatusCode.INVALID_ARGUMENT
    return grpc.StatusCode.ABORTED


class GnmiServicer(gnmi_pb2_grpc.gNMIServicer):
    """Capabilities, Get, Set and Subscribe against one device's datastore."""

    def __init__(self, device: SimDevice) -> None:
        self.device = device
        self.modules = table_for(device.model)

    def codec(self, encoding: int) -> Codec:
        """The codec for a requested encoding; UNIMPLEMENTED for anything but JSON and JSON_IETF."""
        if encoding not in ENCODINGS:
            name = gnmi_pb2.Encoding.Name(encoding) if encoding in gnmi_pb2.Encoding.values() else encoding
            raise GnmiError(grpc.StatusCode.UNIMPLEMENTED, f"encoding {name} is not supported")
        return Codec(self.device.model.schema, self.modules, ietf=encoding == gnmi_pb2.Encoding.JSON_IETF)

    def authenticate(self, context: grpc.aio.ServicerContext) -> None:
        """UNAUTHENTICATED unless the metadata carries this device's username and password."""
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        username, password = metadata.get("username"), metadata.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise GnmiError(grpc.StatusCode.UNAUTHENTICATED, "username and password metadata required")
        if not self.device.check_password(username, password):
            raise GnmiError(grpc.StatusCode.UNAUTHENTICATED, "invalid username or password")

    async def admit(self, operation: str) -> None:
        """Injected faults (``sims.faults`` via the model's environment): refused connections,
        failing operations (an RpcError) and latency."""
        environment = self.device.model.environment
        if environment is None:
            return
        if not environment.accepts_connection():
            raise GnmiError(grpc.StatusCode.UNAVAILABLE, f"{self.device.name} refuses connections")
        delay = environment.before_rpc(operation)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _unary(self, context: grpc.aio.ServicerContext, operation: str, func: Callable[[], T]) -> T:
        try:
            self.authenticate(context)
            await self.admit(operation)
            return func()
        except GnmiError as error:
            await context.abort(error.code, error.message)
        except RpcError as error:
            await context.abort(status_of(error), error.message)
        except Exception:  # one bad request must not take the server down
            log.exception("%s: gNMI request failed", self.device.name)
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        raise AssertionError("unreachable: abort raises")

    async def Capabilities(
        self, request: gnmi_pb2.CapabilityRequest, context: grpc.aio.ServicerContext
    ) -> gnmi_pb2.CapabilityResponse:
        return await self._unary(context, "Capabilities", self._capabilities)

    async def Get(
        self, request: gnmi_pb2.GetRequest, context: grpc.aio.ServicerContext
    ) -> gnmi_pb2.GetResponse:
        return await self._unary(context, "Get", lambda: self._get(request))

    async def Set(
        self, request: gnmi_pb2.SetRequest, context: grpc.aio.ServicerContext
    ) -> gnmi_pb2.SetResponse:
        return await self._unary(context, "Set", lambda: self._set(request))

    async def Subscribe(
        self, request_iterator: AsyncIterator[gnmi_pb2.SubscribeRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[gnmi_pb2.SubscribeResponse]:
        try:
            self.authenticate(context)
            await self.admit("Subscribe")
            first = await anext(request_iterator, None)
            if first is None or not first.HasField("subscribe"):
                raise GnmiError(
                    grpc.StatusCode.INVALID_ARGUMENT, "the first request must be a SubscriptionList"
                )
            session = SubscribeSession(self.device, first.subscribe, self.codec(first.subscribe.encoding))
            session.start()
        except GnmiError as error:
            await context.abort(error.code, error.message)
            return
        except RpcError as error:
            await context.abort(status_of(error), error.message)
            return
        reader = asyncio.get_running_loop().create_task(_read_polls(request_iterator, session))
        failure: GnmiError | None = None
        try:
            while True:
                item = await session.queue.get()
                if item is None:
                    failure = session.error
                    break
                yield item
        finally:
            reader.cancel()
            session.close()
        if failure is not None:
            await context.abort(failure.code, failure.message)

    # -- the work, synchronous in the event loop ---------------------------------------------------
    def _capabilities(self) -> gnmi_pb2.CapabilityResponse:
        models = [
            gnmi_pb2.ModelData(name=m.name, organization=m.organization, version=m.version)
            for m in self.modules.models
        ]
        return gnmi_pb2.CapabilityResponse(
            supported_models=models, supported_encodings=list(ENCODINGS), gNMI_version=GNMI_VERSION
        )

    def _get(self, request: gnmi_pb2.GetRequest) -> gnmi_pb2.GetResponse:
        return gnmi_pb2.GetResponse(
            notification=build_get(self.device, request, self.codec(request.encoding))
        )

    def _set(self, request: gnmi_pb2.SetRequest) -> gnmi_pb2.SetResponse:
        datastore = self.device.datastore
        try:
            tree, results = build_set(datastore.running, request, self.codec(gnmi_pb2.Encoding.JSON_IETF))
            datastore.replace_running(tree, GNMI_SESSION_ID)
        except RpcError as error:
            where = f"{error.path}: " if error.path else ""
            why = f" ({error.tag}/{error.app_tag})" if error.app_tag else ""
            raise GnmiError(status_of(error), f"{where}{error.message}{why}") from None
        except GnmiError:
            raise
        except Exception:
            log.exception("%s: gNMI Set failed", self.device.name)
            raise GnmiError(grpc.StatusCode.ABORTED, "transaction aborted: internal error") from None
        log.debug("%s: gNMI Set applied (%d operations)", self.device.name, len(results))
        return gnmi_pb2.SetResponse(prefix=request.prefix, response=results, timestamp=time.time_ns())


async def _read_polls(requests: AsyncIterator[gnmi_pb2.SubscribeRequest], session: SubscribeSession) -> None:
    """Serve Poll messages; a POLL subscription ends when the client stops sending."""
    try:
        async for request in requests:
            if request.HasField("poll"):
                session.poll()
            elif request.HasField("subscribe"):
                raise GnmiError(
                    grpc.StatusCode.INVALID_ARGUMENT, "a Subscribe RPC takes one SubscriptionList"
                )
            else:
                raise GnmiError(grpc.StatusCode.UNIMPLEMENTED, "aliases are not supported")
    except GnmiError as error:
        session.fail(error)
        return
    except Exception as exc:  # noqa: BLE001 - the client went away; the handler is being cancelled
        log.debug("%s: subscribe reader ended: %r", session.device.name, exc)
    if session.request.mode == gnmi_pb2.SubscriptionList.Mode.POLL:
        session.queue.put_nowait(None)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def server_credentials(tls: TlsMaterial) -> grpc.ServerCredentials:
    """gRPC server credentials from a certificate and key (build once, share across devices);
    with ``tls.client_ca_pem``, clients must present a certificate signed by that CA."""
    return grpc.ssl_server_credentials(
        [(tls.key_pem, tls.cert_pem)],
        root_certificates=tls.client_ca_pem,
        require_client_auth=tls.client_ca_pem is not None,
    )


async def start_gnmi_server(
    device: SimDevice, host: str, port: int, credentials: grpc.ServerCredentials | None = None
) -> tuple[grpc.aio.Server, int]:
    """Serve gNMI for ``device`` on ``host:port`` (0: a free port), with TLS when ``credentials``
    are given; returns the started server and its port."""
    server = grpc.aio.server(options=SERVER_OPTIONS)
    gnmi_pb2_grpc.add_gNMIServicer_to_server(GnmiServicer(device), server)
    system_pb2_grpc.add_SystemServicer_to_server(GnoiSystemServicer(device), server)  # gNOI, same port
    address = _address(host, port)
    try:
        if credentials is None:
            bound = server.add_insecure_port(address)
        else:
            bound = server.add_secure_port(address, credentials)
    except RuntimeError as exc:
        raise OSError(f"gNMI for {device.name} cannot listen on {address}: {exc}") from None
    if not bound:
        raise OSError(f"gNMI for {device.name} cannot listen on {address}")
    await server.start()
    return server, bound
