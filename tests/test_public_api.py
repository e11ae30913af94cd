"""The public API assembled in wanzheng/__init__ matches __all__."""

import wanzheng
from wanzheng import errors


def test_all_names_exist() -> None:
    for name in wanzheng.__all__:
        assert hasattr(wanzheng, name), name


def test_error_tree_inherits_builtins() -> None:
    assert issubclass(errors.DataError, ValueError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.NotFoundError, LookupError)
    assert issubclass(errors.PermissionDeniedError, PermissionError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.WanzhengError)
