"""Table rows asked for a figure (core.text.tables.row_support)."""

from core.text.tables import row_support, table_rows


def test_a_row_is_asked_only_what_its_title_does_not_say():
    terms = {"示例市": 1.0, "2024": 1.0, "决算": 1.0, "工会经费": 1.0}
    rows = table_rows("|科目名称|决算数|\n|办公费|45.10|\n|工会经费|24.42|\n")
    title = "示例市机关事务管理局2024年度部门决算"
    assert row_support(terms, title, rows) == 1.0
    assert row_support(terms, "", rows) == 0.25  # without the title, every row looks alike
    assert row_support(terms, title, table_rows("|办公费|45.10|")) == 0.0
    # a question made only of title words falls back to all of them
    assert row_support({"示例市": 1.0}, title, rows) == 0.0
