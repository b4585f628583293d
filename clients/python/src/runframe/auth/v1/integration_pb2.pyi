from google.protobuf import field_mask_pb2 as _field_mask_pb2
from runframe.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateIntegrationRequest(_message.Message):
    __slots__ = ("type", "name", "default_service_id", "rate_limit_per_minute", "signing_secret", "sns_topic_arns", "options")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SERVICE_ID_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    SNS_TOPIC_ARNS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.IntegrationType
    name: str
    default_service_id: str
    rate_limit_per_minute: int
    signing_secret: str
    sns_topic_arns: _containers.RepeatedScalarFieldContainer[str]
    options: _common_pb2.IntegrationOptions
    def __init__(self, type: _Optional[_Union[_common_pb2.IntegrationType, str]] = ..., name: _Optional[str] = ..., default_service_id: _Optional[str] = ..., rate_limit_per_minute: _Optional[int] = ..., signing_secret: _Optional[str] = ..., sns_topic_arns: _Optional[_Iterable[str]] = ..., options: _Optional[_Union[_common_pb2.IntegrationOptions, _Mapping]] = ...) -> None: ...

class CreateIntegrationResponse(_message.Message):
    __slots__ = ("integration", "routing_key")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    routing_key: str
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ..., routing_key: _Optional[str] = ...) -> None: ...

class GetIntegrationRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class GetIntegrationResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ...) -> None: ...

class ListIntegrationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIntegrationsResponse(_message.Message):
    __slots__ = ("integrations", "next_page_token")
    INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    integrations: _containers.RepeatedCompositeFieldContainer[_common_pb2.Integration]
    next_page_token: str
    def __init__(self, integrations: _Optional[_Iterable[_Union[_common_pb2.Integration, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RotateRoutingKeyRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class RotateRoutingKeyResponse(_message.Message):
    __slots__ = ("integration", "routing_key")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    routing_key: str
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ..., routing_key: _Optional[str] = ...) -> None: ...

class SetSigningSecretRequest(_message.Message):
    __slots__ = ("integration_id", "signing_secret", "grace_period_seconds")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    GRACE_PERIOD_SECONDS_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    signing_secret: str
    grace_period_seconds: int
    def __init__(self, integration_id: _Optional[str] = ..., signing_secret: _Optional[str] = ..., grace_period_seconds: _Optional[int] = ...) -> None: ...

class SetSigningSecretResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ...) -> None: ...

class DisableIntegrationRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class DisableIntegrationResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ...) -> None: ...

class UpdateIntegrationRequest(_message.Message):
    __slots__ = ("integration", "update_mask")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateIntegrationResponse(_message.Message):
    __slots__ = ("integration",)
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    integration: _common_pb2.Integration
    def __init__(self, integration: _Optional[_Union[_common_pb2.Integration, _Mapping]] = ...) -> None: ...
