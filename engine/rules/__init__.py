"""The rules language: grammar, AST, static checker, evaluator and effects."""
