"""The Runframe team API called the way a Python team would: grpcio over h2c.

tools/clients/clients.e2e.test.ts starts a stack and runs this suite with
RUNFRAME_INCIDENT_URL (the incident service's base URL), RUNFRAME_API_KEY
(organization A's key) and RUNFRAME_OTHER_INCIDENT_ID (an incident of
organization B, which A must not see).
"""

import os
from urllib.parse import urlparse

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from runframe.incident.v1 import incident_pb2, incident_pb2_grpc


def setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set; run this suite through npm test")
    return value


@pytest.fixture(scope="module")
def incidents():
    target = urlparse(setting("RUNFRAME_INCIDENT_URL")).netloc
    with grpc.insecure_channel(target) as channel:
        yield incident_pb2_grpc.IncidentServiceStub(channel)


def auth(key: str):
    return [("authorization", f"Bearer {key}")]


def details(error: grpc.RpcError, message_type):
    """The error details of one type, decoded from grpc-status-details-bin."""
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    found = []
    for detail in status.details:
        if detail.Is(message_type.DESCRIPTOR):
            message = message_type()
            detail.Unpack(message)
            found.append(message)
    return found


def test_lists_incidents(incidents):
    response = incidents.ListIncidents(
        incident_pb2.ListIncidentsRequest(), metadata=auth(setting("RUNFRAME_API_KEY")), timeout=5
    )
    assert len(response.incidents) > 0
    assert response.incidents[0].id.startswith("INC-")


def test_wrong_key_is_unauthenticated_with_an_error_info_reason(incidents):
    with pytest.raises(grpc.RpcError) as raised:
        incidents.ListIncidents(
            incident_pb2.ListIncidentsRequest(),
            metadata=auth("rf_wrong_key_0000000000000000000000000000"),
            timeout=5,
        )
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    [info] = details(raised.value, error_details_pb2.ErrorInfo)
    assert info.reason == "API_KEY_INVALID"
    assert info.domain == "runframe.io"


def test_another_organizations_incident_is_not_found(incidents):
    with pytest.raises(grpc.RpcError) as raised:
        incidents.GetIncident(
            incident_pb2.GetIncidentRequest(incident_id=setting("RUNFRAME_OTHER_INCIDENT_ID")),
            metadata=auth(setting("RUNFRAME_API_KEY")),
            timeout=5,
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_bad_argument_is_invalid_argument_with_a_bad_request(incidents):
    with pytest.raises(grpc.RpcError) as raised:
        incidents.ListIncidents(
            incident_pb2.ListIncidentsRequest(page_size=1000),
            metadata=auth(setting("RUNFRAME_API_KEY")),
            timeout=5,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    [bad_request] = details(raised.value, error_details_pb2.BadRequest)
    assert [v.field for v in bad_request.field_violations] == ["page_size"]
