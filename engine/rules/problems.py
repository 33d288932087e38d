"""Every problem code the rules language reports, with its zh/en text and hint.

One table is the source of truth: the checker, the parser and the evaluator build
their :class:`~engine.errors.Problem` values from it, and a test makes sure that
``docs/rules.md`` lists every code. Codes whose severity is ``warning`` do not stop
compilation; they are returned as :attr:`CompiledRules.warnings`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.errors import Message, Problem, Source

from .nodes import Pos


@dataclass(frozen=True, slots=True)
class Entry:
    severity: str  # error | warning
    en: str
    zh: str
    hint_en: str = ""
    hint_zh: str = ""


_E = "error"
_W = "warning"

CATALOG: dict[str, Entry] = {
    # --- size and syntax ---
    "rules.too_large": Entry(_E, "The rules text is {size} bytes; the limit is {limit}.", "规则文本有 {size} 字节，上限为 {limit}。", "Split it into several rule sets.", "请拆分为多个规则集。"),
    "rules.too_deep": Entry(_E, "Nesting is {depth} levels deep; the limit is {limit}.", "嵌套深度为 {depth} 层，上限为 {limit}。", "Use `let` bindings to flatten the expression or the blocks.", "用 `let` 拆分表达式或代码块。"),
    "rules.syntax": Entry(_E, "Unexpected {found}; expected {expected}.", "此处不应出现 {found}；应为 {expected}。"),
    "rules.unexpected_character": Entry(_E, "Unexpected character {found}.", "无法识别的字符 {found}。", "Remove it, or quote text with \"…\".", "请删除它，或用 \"…\" 引起文本。"),
    "rules.missing_colon": Entry(_E, "A ':' is missing before the block.", "代码块前缺少冒号 ':'。", "End the `on …`, `for …` or `when …` line with ':'.", "在 `on …`、`for …` 或 `when …` 行末加上 ':'。"),
    "rules.unclosed_string": Entry(_E, "This text is not closed.", "文本缺少结束引号。", "Close it with the same quote on the same line.", "请在同一行用相同的引号结束。"),
    "rules.unknown_statement": Entry(_E, "This is not a statement: {found} is unexpected here.", "这不是一条语句：此处不应出现 {found}。", "Inside a rule (`on <form> <event>:`), a statement starts with a verb (receive, issue, move, reserve, release, scrap, …) or with count, lock, unlock, for, when or let.", "在规则（`on <表单> <事件>:`）之内，语句以动词（receive、issue、move、reserve、release、scrap 等）或 count、lock、unlock、for、when、let 开头。"),
    "rules.missing_of": Entry(_E, "'of' is missing between the quantity and the item.", "数量与物品之间缺少 'of'。", "Write `issue <qty> of <item> from <location>`.", "写成 `issue <数量> of <物品> from <库位>`。"),
    "rules.missing_location": Entry(_E, "The stock statement has no location.", "库存语句缺少库位。", "Add `at <location>`, `from <location>` or `into <location>`.", "加上 `at <库位>`、`from <库位>` 或 `into <库位>`。"),
    "rules.bad_indentation": Entry(_E, "The indentation does not match any open block.", "缩进与任何代码块都不对齐。", "Indent the statements of one block by the same amount.", "同一代码块内的语句应使用相同的缩进。"),
    "rules.assign_in_condition": Entry(_E, "'=' is not a comparison.", "'=' 不是比较运算符。", "Use '==' to compare, '=' only in `let name = …`.", "比较请用 '=='；'=' 只用于 `let 名称 = …`。"),
    "rules.missing_else": Entry(_E, "`validate` needs `else \"message\"`.", "`validate` 需要 `else \"提示信息\"`。", "Write `validate <condition> else \"zh / en\"`.", "写成 `validate <条件> else \"中文 / English\"`。"),
    "rules.bad_literal": Entry(_E, "{found} is not a valid {kind}.", "{found} 不是有效的{kind}。", "Dates are written date\"2026-01-31\".", "日期写作 date\"2026-01-31\"。"),
    # --- names and types ---
    "rules.unknown_field": Entry(_E, "Unknown field or name '{name}'.", "未知的字段或名称 '{name}'。", "{suggest_en}", "{suggest_zh}"),
    "rules.unknown_attribute": Entry(_E, "A {kind} has no attribute '{name}'.", "{kind} 没有属性 '{name}'。", "{suggest_en}", "{suggest_zh}"),
    "rules.not_a_record": Entry(_E, "'{path}' is a {type}; it has no field '{name}'.", "'{path}' 是{type}，没有字段 '{name}'。"),
    "rules.unknown_function": Entry(_E, "Unknown function '{name}'.", "未知的函数 '{name}'。", "{suggest_en}", "{suggest_zh}"),
    "rules.arity": Entry(_E, "{name}() takes {expected} argument(s), not {given}.", "{name}() 需要 {expected} 个参数，而不是 {given} 个。"),
    "rules.bad_argument": Entry(_E, "Argument {index} of {name}() must be {expected}, not {found}.", "{name}() 的第 {index} 个参数应为 {expected}，而不是 {found}。"),
    "rules.type_mismatch": Entry(_E, "Cannot apply '{op}' to {left} and {right}.", "不能对 {left} 和 {right} 使用 '{op}'。", "{hint_en}", "{hint_zh}"),
    "rules.not_a_condition": Entry(_E, "A condition must be true or false, not {found}.", "条件必须为真或假，而不是 {found}。", "Compare it, e.g. `x > 0`.", "请写成比较，例如 `x > 0`。"),
    "rules.column_mismatch": Entry(_E, "Cannot combine columns of '{left}' and '{right}' row by row.", "不能逐行组合 '{left}' 和 '{right}' 的列。", "Aggregate each subform on its own, e.g. sum(a.x) + sum(b.y).", "请分别汇总，例如 sum(a.x) + sum(b.y)。"),
    "rules.column_not_aggregated": Entry(_E, "'{path}' has one value per row of '{column}'.", "'{path}' 在 '{column}' 中每行一个值。", "Aggregate it (sum, count, min, max) or loop: `for line in {column}:`.", "请汇总（sum、count、min、max）或循环：`for line in {column}:`。"),
    "rules.not_a_subform": Entry(_E, "Cannot loop over '{path}': it is a {found}, not a subform.", "无法遍历 '{path}'：它是{found}，不是子表单。"),
    "rules.not_a_quantity": Entry(_E, "The quantity must be a number, not {found}.", "数量必须是数字，而不是 {found}。"),
    "rules.not_an_item": Entry(_E, "The item must be an item reference, not {found}.", "物品必须引用物品，而不是 {found}。", "Use an item field such as `line.item`.", "请使用物品字段，如 `line.item`。"),
    "rules.not_a_location": Entry(_E, "The location must be a location, not {found}.", "库位必须是库位，而不是 {found}。", "Use a location field or a location name known to the tenant.", "请使用库位字段或租户已有的库位名称。"),
    "rules.bad_lock": Entry(_E, "`{verb}` needs a location, not {found}.", "`{verb}` 需要库位，而不是 {found}。", "Write `{verb} <location>` with a location field or a location name known to the tenant, e.g. `{verb} location`.", "写成 `{verb} <库位>`，使用库位字段或租户已有的库位名称，例如 `{verb} location`。"),
    "rules.bad_clause": Entry(_E, "'{clause}' {problem}.", "'{clause}' {problem_zh}。"),
    "rules.duplicate_clause": Entry(_E, "'{clause}' is given twice.", "'{clause}' 重复出现。"),
    "rules.unknown_verb": Entry(_E, "Unknown verb '{name}'.", "未知的动词 '{name}'。", "{suggest_en} The verbs are: {verbs}.", "{suggest_zh} 可用的动词：{verbs}。"),
    "rules.missing_destination": Entry(_E, "`{verb}` needs a destination.", "`{verb}` 需要目的库位。", "Write `{verb} … from <location> to <location>`.", "写成 `{verb} … from <库位> to <库位>`。"),
    "rules.unexpected_destination": Entry(_E, "`{verb}` works on one location; it takes no `to <location>`.", "`{verb}` 只作用于一个库位，不能带 `to <库位>`。", "To take stock from one location to another, write `move … from <location> to <location>`.", "要把库存从一个库位转到另一个库位，请写 `move … from <库位> to <库位>`。"),
    "rules.bad_preposition": Entry(_E, "`{verb} … {prep}` does not read right.", "`{verb} … {prep}` 用法不对。", "Write `{verb} … {allowed} <location>`.", "写成 `{verb} … {allowed} <库位>`。"),
    "rules.name_in_use": Entry(_E, "The name '{name}' is already used by a {used}.", "名称 '{name}' 已被{used}使用。", "Pick another name.", "请换一个名称。"),
    # --- rules and events ---
    "rules.unknown_event": Entry(_E, "Unknown event '{name}'.", "未知的事件 '{name}'。", "{suggest_en}", "{suggest_zh}"),
    "rules.node_not_allowed": Entry(_E, "'{event}' cannot be bound to a node.", "'{event}' 不能绑定到节点。", "Only approved, rejected and timed_out take `at <node>`.", "只有 approved、rejected、timed_out 可以加 `at <节点>`。"),
    "rules.duplicate_rule": Entry(_E, "There is already a rule for {rule_form} {event}{node} (line {first}).", "{rule_form} {event}{node} 已有规则（第 {first} 行）。", "Merge the two rules into one.", "请把两条规则合并为一条。"),
    "rules.unreachable": Entry(_W, "This block can never run: its condition is always false.", "此代码块永远不会执行：条件恒为假。", "Remove it or fix the condition.", "请删除它或修改条件。"),
    "rules.other_form": Entry(_W, "This rule is for form '{rule_form}', not '{expected}'; it is ignored here.", "此规则属于表单 '{rule_form}'，而不是 '{expected}'；此处忽略。"),
    # --- evaluation ---
    "rules.step_limit": Entry(_E, "Evaluation took more than {limit} steps.", "计算超过 {limit} 步。", "Simplify the rules or split the document.", "请简化规则或拆分单据。"),
    "rules.effect_limit": Entry(_E, "One event produced more than {limit} stock effects.", "一个事件产生了超过 {limit} 条库存变动。", "Split the document into smaller ones.", "请把单据拆小。"),
    "rules.null_value": Entry(_E, "{what} is empty.", "{what} 为空。", "Fill it in, or use coalesce({what}, 0).", "请填写，或使用 coalesce({what}, 0)。"),
    "rules.type_error": Entry(_E, "Expected {expected}, got {found}.", "应为 {expected}，实际为 {found}。"),
    "rules.division_by_zero": Entry(_E, "Division by zero.", "除数为零。", "Guard it: `a / b if b != 0 else 0`.", "请加判断：`a / b if b != 0 else 0`。"),
    "rules.arithmetic_error": Entry(_E, "The calculation is not defined: {detail}.", "计算无意义：{detail}。"),
    "rules.negative_quantity": Entry(_E, "The quantity {qty} is negative.", "数量 {qty} 为负数。", "Use the opposite verb instead of a negative quantity.", "请使用相反的动作，而不是负数量。"),
    "rules.bad_reference": Entry(_E, "{what} is not a valid reference: {found}.", "{what} 不是有效的引用：{found}。"),
    "rules.lookup_unavailable": Entry(_E, "Reading '{attr}' of a {kind} needs a lookup, and none was given.", "读取{kind}的 '{attr}' 需要查询函数，但未提供。"),
    "rules.lookup_failed": Entry(_E, "No {kind} {ref} to read '{attr}' from.", "找不到{kind} {ref}，无法读取 '{attr}'。"),
    "rules.no_ledger": Entry(_E, "{name}() reads the stock ledger, and there is none here.", "{name}() 需要读取库存账，但此处无法读取。", "Ledger functions work where the engine supplies the ledger (flow conditions, validations, stock rules), not in formula fields.", "库存函数只能用于引擎提供库存账的地方（流程条件、校验、库存规则），不能用于公式字段。"),
    "rules.ledger_failed": Entry(_E, "{name}() could not read the stock ledger: {detail}.", "{name}() 无法读取库存账：{detail}。"),
    "rules.function_failed": Entry(_E, "{name}() failed: {detail}.", "{name}() 出错：{detail}。"),
    "rules.bad_document": Entry(_E, "{what} must be {expected}.", "{what} 必须是 {expected}。"),
    "rules.validation_failed": Entry(_E, "{message_en}", "{message_zh}"),
}  # fmt: skip


def severity(code: str) -> str:
    return CATALOG[code].severity


def is_error(problem: Problem) -> bool:
    entry = CATALOG.get(problem.code)
    return entry is None or entry.severity == "error"


def _fill(template: str, params: dict[str, Any]) -> str:
    return template.format_map(params) if params else template


def make(
    code: str, pos: Pos | None = None, *, rule: str | None = None,
    form: str | None = None, **params: Any,
) -> Problem:  # fmt: skip
    """Build the problem ``code`` at ``pos`` from the catalog, filling ``params``."""
    entry = CATALOG[code]
    source = Source(
        form=form, rule=rule,
        line=pos.line if pos else None, column=pos.column if pos else None,
    )  # fmt: skip
    hint = None
    if entry.hint_en:
        hint_en, hint_zh = _fill(entry.hint_en, params), _fill(entry.hint_zh, params)
        if hint_en:
            hint = Message(hint_en, hint_zh)
    return Problem(code, Message(_fill(entry.en, params), _fill(entry.zh, params)), source, hint)


def suggestion(name: str, candidates: Iterable[str]) -> dict[str, str]:
    """Params ``suggest_en`` / ``suggest_zh`` for a did-you-mean hint (empty if none)."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return {"suggest_en": "", "suggest_zh": ""}
    listed = ", ".join(f"'{c}'" for c in close)
    return {"suggest_en": f"Did you mean {listed}?", "suggest_zh": f"您是不是要写 {listed}？"}
