"""Form definitions (FormSpec), field types, formulas and validation.

The pure form layer (docs/forms.md is the reference). A form is JSON, checked when
saved and built into frozen dataclasses::

    loaded = load_form(json.loads(text), constants={"warehouse": "location"})
    spec = loaded.require()                      # or look at loaded.problems
    checked = check_document(spec, document, ctx=ctx)
    checked.problems                             # [] when the document is good
    checked.values                               # typed: Decimal, date, computed formulas

Modules: :mod:`.spec` (dataclasses and enums), :mod:`.migrations`
(``schema_version``), :mod:`.checking` (the shipped ``form.schema.json`` and the
meaning of each field), :mod:`.building`, :mod:`.loading`, :mod:`.scope` (the
rules language's ``Scope`` over a form), :mod:`.compiling` (formulas and
validations compiled once per spec), :mod:`.docschema` (the document JSON
Schema), :mod:`.values` and :mod:`.normalize` (typed values), :mod:`.compute`
(formulas and column totals), :mod:`.documents` (the validation pipeline),
:mod:`.serial` (流水号 patterns), :mod:`.permissions` (hidden / read / edit), and
:mod:`.messages` (every problem code, in English and Chinese).

Nothing here touches a database, the web or a queue.
"""

from engine.jsonformat import Migration

from .checking import form_schema
from .compiling import CompiledForm, compile_form
from .compute import compute
from .docschema import document_schema
from .documents import Checked, check_document, validate_document
from .loading import Loaded, load_form, validate_spec
from .messages import CATALOG
from .migrations import MIGRATIONS, upgrade_form
from .normalize import Parsed, normalize, to_json, with_defaults
from .permissions import apply_permissions, edits_allowed
from .scope import FormScope
from .serial import PatternError, format_serial, parse_pattern, serial_scope
from .spec import (
    CURRENT_SCHEMA_VERSION,
    TOTALS_KEY,
    Access,
    Field,
    FieldKind,
    FormSpec,
    Label,
    Link,
    Option,
    ResultKind,
    Validation,
)

__all__ = [
    "CATALOG",
    "CURRENT_SCHEMA_VERSION",
    "MIGRATIONS",
    "TOTALS_KEY",
    "Access",
    "Checked",
    "CompiledForm",
    "Field",
    "FieldKind",
    "FormScope",
    "FormSpec",
    "Label",
    "Link",
    "Loaded",
    "Migration",
    "Option",
    "Parsed",
    "PatternError",
    "ResultKind",
    "Validation",
    "apply_permissions",
    "check_document",
    "compile_form",
    "compute",
    "document_schema",
    "edits_allowed",
    "form_schema",
    "format_serial",
    "load_form",
    "normalize",
    "parse_pattern",
    "serial_scope",
    "to_json",
    "upgrade_form",
    "validate_document",
    "validate_spec",
    "with_defaults",
]
