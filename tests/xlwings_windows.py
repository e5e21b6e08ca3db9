"""Load xlwings' real Windows UDF machinery on Linux, with stand-ins for pywin32.

``@xw.func`` is a no-op on Linux, so a plain test of our module would test only the bare
functions.  With stand-in modules for ``pythoncom``, ``pywintypes``, ``win32com`` and the
few other modules xlwings' Windows code touches at import, the real ``xlwings.udfs`` and
``xlwings.com_server`` import; we then bind ``xlwings.func/arg/ret`` to the real
decorators, as xlwings' ``__init__`` does on Windows, and import our module afresh, so
it is registered exactly the way Excel on Windows sees it.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

UDF_MODULE = "kpi_addin.excel.functions"
#: The modules whose functions the UDF module exports: imported afresh under the real decorators.
DECORATED = (UDF_MODULE, "kpi_addin.excel.report_functions")
STAND_INS = (
    "pythoncom",
    "pywintypes",
    "win32api",
    "win32con",
    "win32gui",
    "win32process",
    "win32timezone",
    "win32event",
    "win32com",
    "win32com.client",
    "win32com.client.gencache",
    "win32com.server",
    "win32com.server.dispatcher",
    "win32com.server.policy",
    "win32com.server.util",
)


class _ComError(Exception):
    pass


class _TimeType:  # pywin32's COM date type; dates from Excel arrive as datetimes here
    pass


class _PyIDispatch:  # the type pythoncom gives COM objects; plain Python values are never one
    pass


def _stand_in(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__getattr__ = lambda attr: mock.MagicMock(name=f"{name}.{attr}")  # type: ignore[method-assign]
    return module


def _unwrap(_value: object) -> object:
    raise TypeError("not a wrapped Python object")  # plain values pass through FromVariant


@contextmanager
def windows_xlwings() -> Iterator[types.ModuleType]:
    """Yield our UDF module as registered by the real ``xlwings.udfs`` decorators."""
    import xlwings

    saved = {
        name: sys.modules.get(name)
        for name in (*STAND_INS, "xlwings.udfs", "xlwings.com_server", "xlwings._xlwindows", *DECORATED)
    }
    saved_ctypes = {name: getattr(ctypes, name, None) for name in ("windll", "oledll")}
    saved_xlwings = {name: getattr(xlwings, name) for name in ("func", "arg", "ret")}
    added_engine = False
    try:
        for name in STAND_INS:
            sys.modules[name] = _stand_in(name)
        pythoncom = sys.modules["pythoncom"]
        pythoncom.IID_IDispatch = "IID_IDispatch"
        pythoncom.TypeIIDs = {"IID_IDispatch": _PyIDispatch}
        sys.modules["pywintypes"].com_error = _ComError
        sys.modules["pywintypes"].TimeType = _TimeType
        sys.modules["win32com"].client = sys.modules["win32com.client"]
        sys.modules["win32com"].server = sys.modules["win32com.server"]
        sys.modules["win32com.server"].util = sys.modules["win32com.server.util"]
        sys.modules["win32com.server.util"].unwrap = _unwrap
        ctypes.windll = mock.MagicMock(name="ctypes.windll")  # type: ignore[attr-defined]
        ctypes.oledll = mock.MagicMock(name="ctypes.oledll")  # type: ignore[attr-defined]
        for name in ("xlwings.udfs", "xlwings.com_server", "xlwings._xlwindows"):
            sys.modules.pop(name, None)
        # call_udf builds a Range of this module; it loads pythoncom's DLL at import
        with mock.patch.object(ctypes, "PyDLL", mock.MagicMock(name="ctypes.PyDLL")):
            import xlwings._xlwindows
        from xlwings import udfs
        from xlwings.main import Engine

        # as xlwings' __init__ does on Windows: the Excel engine, which conversion uses
        engine = Engine(impl=sys.modules["xlwings._xlwindows"].engine)
        xlwings.engines.add(engine)
        added_engine = True
        udfs.udf_modules.clear()
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        for name in DECORATED:
            sys.modules.pop(name, None)
        yield importlib.import_module(UDF_MODULE)
    finally:
        if added_engine:
            xlwings.engines.engines = [e for e in xlwings.engines.engines if e.name != "excel"]
            xlwings.engines.engines_by_name.pop("excel", None)
        for name, value in saved_xlwings.items():
            setattr(xlwings, name, value)
        for name, value in saved_ctypes.items():
            if value is None:
                if hasattr(ctypes, name):
                    delattr(ctypes, name)
            else:
                setattr(ctypes, name, value)
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for name in DECORATED:
            sys.modules.pop(name, None)
        importlib.import_module(UDF_MODULE)  # back to the plain (Linux) functions
