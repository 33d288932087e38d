"""Every problem code the form layer reports, with its English and Chinese text.

One table is the source of truth; ``docs/forms.md`` lists every code and a test
checks that the two agree. Templates take ``str.format`` parameters; ``{label}``
is filled with the field's label in the message's own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import Message, Problem, Source

from .spec import Label


@dataclass(frozen=True, slots=True)
class Entry:
    en: str
    zh: str
    hint_en: str = ""
    hint_zh: str = ""


CATALOG: dict[str, Entry] = {
    # --- the form definition ---
    "forms.schema": Entry("{detail}", "{detail_zh}", "See docs/forms.md for the form format.", "表单格式见 docs/forms.md。"),
    "forms.unsupported_schema_version": Entry("This form has schema_version {found}; this engine reads up to {current}.", "该表单的 schema_version 为 {found}，本引擎最高支持 {current}。", "Upgrade Flowledger.", "请升级 Flowledger。"),
    "forms.unknown_type": Entry("Unknown field type '{found}'.", "未知的字段类型 '{found}'。", "{suggest_en}", "{suggest_zh}"),
    "forms.duplicate_key": Entry("The field key '{key}' is used twice.", "字段标识 '{key}' 重复。", "Give every field of one form (or one subform) its own key.", "同一表单（或子表单）内的字段标识必须唯一。"),
    "forms.not_applicable": Entry("'{option}' does not apply to a {kind} field.", "'{option}' 不适用于 {kind} 字段。", "Remove it.", "请删除该设置。"),
    "forms.no_options": Entry("The {kind} field '{key}' has no options.", "{kind} 字段 '{key}' 没有选项。", "Add at least one option.", "请至少添加一个选项。"),
    "forms.duplicate_option": Entry("The option '{value}' is listed twice.", "选项 '{value}' 重复。", "Keep one.", "请只保留一个。"),
    "forms.nested_subform": Entry("A subform cannot contain another subform.", "子表单中不能再嵌套子表单。", "Move the inner lines to their own form and link to it.", "请把内层明细做成单独的表单，再用关联字段引用。"),
    "forms.min_above_max": Entry("The minimum {minimum} is greater than the maximum {maximum}.", "最小值 {minimum} 大于最大值 {maximum}。", "Swap them or fix one.", "请交换或修改其中一个。"),
    "forms.bad_bound": Entry("'{found}' is not a valid {option} for a {kind} field.", "'{found}' 不是 {kind} 字段的有效 {option}。", "Numbers as 12 or \"12.50\"; dates as \"2026-01-31\".", "数字写作 12 或 \"12.50\"；日期写作 \"2026-01-31\"。"),
    "forms.bad_precision": Entry("The precision {found} is not allowed; use 0 to {limit} decimal places.", "精度 {found} 无效；请使用 0 到 {limit} 位小数。"),
    "forms.bad_default": Entry("The default value does not fit the field: {detail}", "默认值不符合字段要求：{detail_zh}"),
    "forms.bad_total": Entry("Cannot total '{column}': {reason}.", "无法合计 '{column}'：{reason_zh}。", "Total only number, money or number formula columns of this subform.", "只能合计本子表单中的数字、金额或数字公式列。"),
    "forms.bad_serial_pattern": Entry("The serial pattern is wrong: {reason}.", "流水号规则有误：{reason_zh}。", "Example: DB-{{yyyyMMdd}}-{{seq:4}}. Parts: {{yyyy}} {{yy}} {{MM}} {{dd}} {{yyyyMM}} {{yyyyMMdd}} {{seq:N}}.", "示例：DB-{{yyyyMMdd}}-{{seq:4}}。可用：{{yyyy}} {{yy}} {{MM}} {{dd}} {{yyyyMM}} {{yyyyMMdd}} {{seq:N}}。"),
    "forms.bad_formula": Entry("The formula is wrong: {detail}", "公式有误：{detail_zh}"),
    "forms.formula_result": Entry("The formula gives {found}, but the field says {declared}.", "公式结果为 {found}，但字段声明为 {declared}。", "Set \"result\" to the kind the formula gives.", "请把 \"result\" 设为公式实际的结果类型。"),
    "forms.bad_validation": Entry("The validation is wrong: {detail}", "校验规则有误：{detail_zh}"),
    "forms.bad_filter": Entry("The filter condition is wrong: {detail}", "筛选条件有误：{detail_zh}"),
    # --- a document ---
    "forms.not_an_object": Entry("{label} must be an object of field values.", "{label} 必须是字段值组成的对象。"),
    "forms.unknown_field": Entry("{label} has no field '{key}'.", "{label} 中没有字段 '{key}'。", "{suggest_en}", "{suggest_zh}"),
    "forms.required": Entry("{label} is required.", "{label} 为必填项。"),
    "forms.wrong_type": Entry("{label} must be {expected_en}.", "{label} 必须是{expected_zh}。"),
    "forms.float_not_allowed": Entry("{label} is a floating-point number; send it as a decimal string such as \"12.50\".", "{label} 是浮点数；请以十进制字符串发送，例如 \"12.50\"。"),
    "forms.not_a_number": Entry("{label}: '{found}' is not a number.", "{label}：'{found}' 不是数字。", "Write it like 12 or \"12.50\".", "请写成 12 或 \"12.50\"。"),
    "forms.too_many_digits": Entry("{label} is too large to store exactly.", "{label} 数值过大，无法精确保存。"),
    "forms.too_many_places": Entry("{label} has more than {places} decimal places.", "{label} 的小数位数超过 {places} 位。", "Round it to {places} places.", "请保留 {places} 位小数。"),
    "forms.too_small": Entry("{label} must be at least {limit}.", "{label} 不能小于 {limit}。"),
    "forms.too_large": Entry("{label} must be at most {limit}.", "{label} 不能大于 {limit}。"),
    "forms.too_long": Entry("{label} is longer than {limit} characters.", "{label} 超过 {limit} 个字符。"),
    "forms.bad_date": Entry("{label}: '{found}' is not a date.", "{label}：'{found}' 不是有效日期。", "Write it as 2026-01-31.", "请写成 2026-01-31。"),
    "forms.bad_datetime": Entry("{label}: '{found}' is not a date and time.", "{label}：'{found}' 不是有效的日期时间。", "Write it as 2026-01-31T08:30 or 2026-01-31T08:30:00 (local time, no zone).", "请写成 2026-01-31T08:30 或 2026-01-31T08:30:00（本地时间，不带时区）。"),
    "forms.not_an_option": Entry("{label}: '{found}' is not one of the options.", "{label}：'{found}' 不在选项中。", "Choose one of: {choices}.", "可选：{choices}。"),
    "forms.repeated_in_rows": Entry("{label} repeats row {first}: each row needs its own value.", "{label}与第 {first} 行重复：每行的值不能相同。", "Change the value, or merge the two rows into one.", "请修改该值，或把两行合并为一行。"),
    "forms.repeated_choice": Entry("{label} lists the same choice twice.", "{label} 中有重复的选项。"),
    "forms.bad_attachment": Entry("{label} must be a list of files with name, size, content_type and storage_key.", "{label} 必须是文件列表，每个文件包含 name、size、content_type 和 storage_key。"),
    "forms.formula_failed": Entry("{label} cannot be computed: {detail}", "{label} 无法计算：{detail_zh}"),
    "forms.validation_failed": Entry("{message_en}", "{message_zh}"),
    "forms.validation_error": Entry("A validation could not be checked: {detail}", "校验规则无法执行：{detail_zh}", "Guard empty values with coalesce(…) in the condition.", "请在条件中用 coalesce(…) 处理空值。"),
    "forms.field_not_editable": Entry("{label} may not be changed here.", "{label} 在此处不可修改。", "Undo the change, or ask the admin to allow editing.", "请撤销修改，或请管理员开放编辑权限。"),
}  # fmt: skip


def make(code: str, path: str | None, *, form: str | None = None,
         label: Label | None = None, source: Source | None = None,
         **params: Any) -> Problem:  # fmt: skip
    """The problem ``code`` at ``path``, its templates filled from ``params``."""
    entry = CATALOG[code]
    en = {"label": label.en if label else "", **params}
    zh = {"label": label.zh if label else "", **params}
    hint = None
    if entry.hint_en:
        hint_en = entry.hint_en.format_map(en)
        if hint_en:
            hint = Message(hint_en, entry.hint_zh.format_map(zh))
    message = Message(entry.en.format_map(en), entry.zh.format_map(zh))
    return Problem(code, message, source or Source(form=form, path=path), hint)
