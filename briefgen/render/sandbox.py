"""The sandbox every template runs in: plain data only, calls from an allow-list, bounded size, depth and time.

Jinja's own sandbox blocks underscore attributes but lets a template call any public method of any
object it can reach; a `pathlib.Path` among the brief's fields would let a template read, write or
delete files. Here a template may look into plain values (text, numbers, dates, tuples, lists,
dicts), briefgen's frozen records and Jinja's loop helpers only, receives no attribute whose value is
anything else (a `Path` field is simply not there), and may call only the methods of plain values,
its own macros, the named globals and filters, and `text()` of a date. What it builds is bounded:
no value over MAX_VALUE characters or items, no integer over MAX_INT_BITS bits, no more than
MAX_DEPTH nested macro calls, MAX_OUTPUT characters of output, RENDER_SECONDS of rendering.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import signal
import string
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace

from briefgen.factbase.dates import DateSpec, Point

MAX_VALUE = 2**25  # characters of one string, items of one list: 32 Mi, far above any real brief's
MAX_OUTPUT = 2**28  # characters of one rendered brief
MAX_INT_BITS = 4096  # a brief's numbers are years and quantities, not 10**1000
MAX_DEPTH = 64  # nested macro calls (and recursive loops): recursion in a template ends here
RENDER_SECONDS = 60.0  # a 100,000-fact brief renders in a few seconds

PLAIN = (str, int, float, type(None), tuple, list, dict, frozenset, set, datetime.date)
JINJA_HELPERS = (LoopContext, Namespace, Cycler, Joiner, Macro, TemplateReference, BlockReference, TemplateModule)
RECORD_METHODS = frozenset({DateSpec.text, Point.text})  # methods of records a template may call: pure
# Methods and filters whose number argument sets the size of what they make.
AMPLIFIERS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "batch", "slice"})
MAX_RULES = 4096  # attribute decisions kept per environment (a brief's templates use a few dozen)
BOUND_METHODS = frozenset({types.MethodType, types.BuiltinMethodType})
SIZING_FILTERS = AMPLIFIERS | {"format", "replace", "translate", "join"}  # what check_amplifier and check_join look at
MAX_WIDTH = 10_000  # of one field in a %- or {}-format
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateLimit(jinja2.TemplateRuntimeError):
    """A template went past one of the sandbox's bounds."""


def is_record(obj: Any) -> bool:
    """One of briefgen's own frozen dataclasses (a Brief, a Fact, a Source ...)."""
    return _record_type(type(obj))


def _record_type(kind: type) -> bool:
    return (
        dataclasses.is_dataclass(kind)
        and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
        and kind.__module__.startswith("briefgen.")
    )


_INSPECTABLE: dict[type, bool] = {}  # decided once per type: this runs on every `.` of every template


def _inspectable_type(kind: type) -> bool:
    found = _INSPECTABLE.get(kind)
    if found is None:
        found = _INSPECTABLE[kind] = issubclass(kind, PLAIN + JINJA_HELPERS) or _record_type(kind)
    return found


def inspectable(obj: Any) -> bool:
    """Whether a template may look at the attributes of obj."""
    return _inspectable_type(type(obj))


def plain_value(value: Any) -> bool:
    """Whether a template may hold value: plain data, a record, a Jinja helper, or a method of one of those."""
    if _inspectable_type(type(value)):
        return True
    if isinstance(value, (types.MethodType, types.BuiltinMethodType)):
        return inspectable(value.__self__)
    return isinstance(value, jinja2.Undefined)


def limit(message: str) -> TemplateLimit:
    return TemplateLimit(message)


def check_size(value: Any) -> Any:
    """Value itself, if it is not a string or sequence longer than MAX_VALUE."""
    if isinstance(value, (str, list, tuple, dict, set, frozenset)) and len(value) > MAX_VALUE:
        raise limit(f"a value of {len(value):,} characters or items is over the template limit of {MAX_VALUE:,}")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise limit(f"a number of {value.bit_length():,} bits is over the template limit of {MAX_INT_BITS:,}")
    return value


def check_format(fmt: Any, style: str = "%", args: Any = ()) -> None:
    """Refuse a %-format (style "%") or {}-format (style "{") whose width or precision would make a huge
    string, or whose fields, each filled with the longest of args, would (`("{0}" * 1000).format(big)`)."""
    if not isinstance(fmt, str):
        return
    fields = 0
    numbers: list[str] = []
    if style == "%":
        numbers = [n for spec in _PERCENT_SPEC.finditer(fmt) for n in spec.groups() if n]
        fields = fmt.count("%")
    else:
        try:
            parsed = list(string.Formatter().parse(fmt))
        except ValueError:
            return  # not a {}-format; the call itself will say what is wrong
        specs = [spec for _, _, spec, _ in parsed if spec]
        fields = sum(field is not None for _, field, _, _ in parsed)
        if any("{" in spec for spec in specs):
            raise limit("nested replacement fields in a format are not allowed in templates")
        numbers = [n for spec in specs for n in re.findall(r"\d+", spec)]
    for number in numbers:
        if number == "*" or int(number) > MAX_WIDTH:
            raise limit(f"format width '{number}' is over the template limit of {MAX_WIDTH:,}")
    longest = max((n for n in map(_sized, _members(args)) if n is not None), default=0)
    if fields and len(fmt) + fields * longest + sum(map(int, numbers)) > MAX_VALUE:
        raise limit(f"formatting {fields:,} fields of up to {longest:,} characters is over the template limit")


def _members(args: Any) -> list[Any]:
    """The values a format fills its fields from: a tuple's items, a mapping's values, or the one value."""
    if isinstance(args, (tuple, list)):
        return list(args)
    return list(args.values()) if isinstance(args, dict) else [args]


def check_amplifier(name: str, value: Any, params: tuple[Any, ...]) -> None:
    """Refuse a size argument that would make a value over MAX_VALUE (`"x".center(10**9)`)."""
    if name in AMPLIFIERS:
        for param in params:
            if isinstance(param, int) and param > MAX_VALUE:
                raise limit(f"{name}({param:,}) is over the template limit of {MAX_VALUE:,}")
    if name == "indent" and isinstance(value, str):
        widths = [len(p) for p in params if isinstance(p, str)]
        if widths and max(widths) * (value.count("\n") + 1) > MAX_VALUE:
            raise limit(f"indenting is over the template limit of {MAX_VALUE:,} characters")
    if name == "format":
        check_format(value, "%", params)  # Jinja's format filter is the % operator
    if name == "replace" and isinstance(value, str):
        check_replace(value, params)
    if name == "translate" and isinstance(value, str) and params and isinstance(params[0], dict):
        longest = max((n for n in map(_sized, params[0].values()) if n is not None), default=1)
        if len(value) * longest > MAX_VALUE:
            raise limit(f"translating is over the template limit of {MAX_VALUE:,} characters")


def check_replace(value: str, params: tuple[Any, ...]) -> None:
    """Refuse a replace whose result would be over MAX_VALUE (`("x" * 10**7).replace("x", "x" * 100)`)."""
    if len(params) < 2 or not (isinstance(params[0], str) and isinstance(params[1], str)):
        return
    old, new = params[0], params[1]
    if len(new) <= len(old):
        return
    times = value.count(old) if old else len(value) + 1
    if len(params) > 2 and isinstance(params[2], int) and params[2] >= 0:
        times = min(times, params[2])
    if len(value) + times * (len(new) - len(old)) > MAX_VALUE:
        raise limit(f"replacing {times:,} times is over the template limit of {MAX_VALUE:,} characters")


def bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses oversized arguments and results."""
    skip = 2 if getattr(func, "jinja_pass_arg", None) else 1  # context or environment, then the value

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value, params = (args[skip - 1] if len(args) >= skip else None), args[skip:] + tuple(kwargs.values())
        check_amplifier(name, value, params)
        if name == "join":
            check_join(value, params)
        return check_size(func(*args, **kwargs))

    @functools.wraps(func)
    def bounded_result(*args: Any, **kwargs: Any) -> Any:
        return check_size(func(*args, **kwargs))

    # Only these filters' arguments can set the size of what they make; any filter's result is checked.
    return bounded if name in SIZING_FILTERS else bounded_result


def check_join(items: Any, params: tuple[Any, ...]) -> None:
    """Refuse a join whose separators and items together would be over MAX_VALUE characters."""
    sep = next((p for p in params if isinstance(p, str)), "")
    if not isinstance(items, (list, tuple)):
        return
    total = len(sep) * len(items) + sum(n for n in map(_sized, items) if n is not None)
    if total > MAX_VALUE:
        raise limit(f"joining {len(items):,} items is over the template limit of {MAX_VALUE:,} characters")


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


def check_binop(op: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be over the limits, before it is computed."""
    ints = isinstance(left, int) and isinstance(right, int)
    if op == "**" and ints and right > 0 and abs(left) > 1:
        bits = (abs(left).bit_length() - 1) * right
        if bits > MAX_INT_BITS:
            raise limit(f"{left} ** {right} is over the template limit of {MAX_INT_BITS:,} bits")
    if op == "*" and ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise limit(f"a product over the template limit of {MAX_INT_BITS:,} bits")
    if op == "*":
        size, times = (_sized(left), right) if _sized(left) is not None else (_sized(right), left)
        if size is not None and isinstance(times, int) and size * times > MAX_VALUE:
            raise limit(f"repeating {size:,} characters or items {times:,} times is over the template limit")
    if op == "+" and _sized(left) is not None and _sized(right) is not None:
        if (_sized(left) or 0) + (_sized(right) or 0) > MAX_VALUE:
            raise limit(f"a sum of sequences over the template limit of {MAX_VALUE:,} characters or items")
    if op == "%":
        check_format(left, "%", right)


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~` (string concatenation) checked against MAX_VALUE."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.check_size(")
        super().visit_Concat(node, frame)
        self.write(")")


class BriefSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox narrowed to plain data, an allow-list of calls, and bounds."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%", "/", "//"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.globals["lipsum"]  # makes text of any length; a brief has no use for it
        self.deadline = float("inf")
        self.depth = 0
        self.attribute_rules: dict[tuple[type, str], bool] = {}

    def allow(self, callables: dict[str, Callable[..., Any]]) -> None:
        """Make these globals callable by templates: briefgen's own helpers."""
        self.globals.update(callables)

    def finish_filters(self) -> None:
        """Bound every filter; call when all are installed."""
        self.filters = {name: bounded_filter(name, f) for name, f in self.filters.items()}

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise limit(f"rendering took longer than the template limit of {RENDER_SECONDS:g} s")

    def check_size(self, value: Any) -> Any:
        return check_size(value)

    def concat(self, parts: Any) -> str:
        parts = list(parts)
        if sum(len(p) for p in parts) > MAX_VALUE:
            raise limit(f"a block or macro's output is over the template limit of {MAX_VALUE:,} characters")
        return "".join(parts)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        self.check_time()
        return self.attribute_rule(obj, attr) and plain_value(value)

    def attribute_rule(self, obj: Any, attr: str) -> bool:
        """Whether a template may look up attr of obj at all, before its value is judged.

        Jinja's part (no underscore, no internal attribute, no method that changes a list, dict or set)
        and `inspectable` depend on obj's type and the name only, not on obj or the value, so the
        decision is kept per (type, name): every `.` of a brief asks it. The value is judged each time.
        At most MAX_RULES are kept, so a template that looks up endless names cannot grow it.
        """
        key = (type(obj), attr)
        rule = self.attribute_rules.get(key)
        if rule is None:
            rule = super().is_safe_attribute(obj, attr, None) and inspectable(obj)
            if len(self.attribute_rules) < MAX_RULES and type(attr) is str:
                self.attribute_rules[key] = rule
        return rule

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        if not plain_value(value):
            return self.unsafe_undefined(obj, str(argument))
        return value

    def is_safe_callable(self, obj: Any) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if isinstance(obj, (Macro, BlockReference, LoopContext, Joiner)):
            return True
        if any(obj is g for g in self.globals.values()):
            return True
        if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            owner = obj.__self__
            return isinstance(owner, PLAIN + JINJA_HELPERS) or getattr(obj, "__func__", None) in RECORD_METHODS
        wrapped = getattr(obj, "__wrapped__", None)  # Jinja's sandboxed str.format
        return isinstance(getattr(wrapped, "__self__", None), str)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if type(value) not in BOUND_METHODS:  # what Jinja's own test starts with, without a call
            return None
        formatter = super().wrap_str_format(value)
        if formatter is None:
            return None
        check_format(value.__self__, "{")
        return formatter

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        self.check_time()
        check_binop(operator, left, right)
        return check_size(self.binop_table[operator](left, right))

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.check_time()
        if not self.is_safe_callable(obj):
            raise SecurityError(f"templates may not call {describe(obj)}")
        name = getattr(obj, "__name__", "")
        check_amplifier(name, getattr(obj, "__self__", None), args + tuple(kwargs.values()))
        if name == "join" and isinstance(getattr(obj, "__self__", None), str) and args:
            check_join(args[0], (obj.__self__,))
        # str.format, wrapped by Jinja: its fields are filled from args
        fmt = getattr(getattr(obj, "__wrapped__", None), "__self__", None)
        if isinstance(fmt, str):
            check_format(fmt, "{", args + tuple(kwargs.values()))
        nested = isinstance(obj, (Macro, LoopContext, BlockReference))
        if nested and self.depth >= MAX_DEPTH:
            raise limit(f"macro calls nested more than {MAX_DEPTH} deep (a macro that calls itself without end?)")
        self.depth += nested
        try:
            return check_size(context.call(obj, *args, **kwargs))
        finally:
            self.depth -= nested

    def render(self, template: jinja2.Template, context: dict[str, Any], seconds: float) -> str:
        """Render template within `seconds` and MAX_OUTPUT characters."""
        self.deadline = time.monotonic() + seconds
        parts: list[str] = []
        size = 0
        with alarm(seconds, self.check_time):
            for part in template.generate(context):
                size += len(part)
                if size > MAX_OUTPUT:
                    raise limit(f"the brief is over the template limit of {MAX_OUTPUT:,} characters")
                parts.append(part)
        return "".join(parts)


class ContainedLoader(jinja2.FileSystemLoader):
    """Templates from one directory, none through a link out of it: a template pack holding
    `key.j2 -> ~/.ssh/id_rsa` would otherwise print the key into a brief (the PDF fetcher refuses the same)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        root = Path(self.searchpath[0]).resolve()
        if not Path(filename).resolve().is_relative_to(root):
            raise SecurityError(
                f"template '{template}' is a link out of the templates directory {root}; copy the file in"
            )
        return source, filename, uptodate


def describe(obj: Any) -> str:
    """What a refused callable is, for the error message."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", type(obj).__name__)
    return f"'{name}' of a {type(owner).__name__} object" if owner is not None else f"'{name}'"


@contextmanager
def alarm(seconds: float, check: Callable[[], None]) -> Iterator[None]:
    """Interrupt a render that runs past its deadline: SIGALRM in the main thread, where signals arrive.

    The sandbox also checks the deadline on every call, attribute and operator, which is what bounds
    a render in another thread; the alarm catches loops that do none of those.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum: int, frame: types.FrameType | None) -> None:
        check()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds + 0.05, 0.5)  # again every 0.5 s if the first lands in Jinja's code
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
