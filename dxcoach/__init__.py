"""dxcoach — a terminal coach for the four DX questions of METI's digital governance practice guide."""

__version__ = "0.1.0"
