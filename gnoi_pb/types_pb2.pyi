from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class L3Protocol(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNSPECIFIED: _ClassVar[L3Protocol]
    IPV4: _ClassVar[L3Protocol]
    IPV6: _ClassVar[L3Protocol]
UNSPECIFIED: L3Protocol
IPV4: L3Protocol
IPV6: L3Protocol
