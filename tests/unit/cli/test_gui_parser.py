"""A start without a subcommand is parsed by the short GUI parser (frontcounter/cli.py parse_args);
whatever it gives must be what the full parser gives, and anything else goes to the full parser."""

from __future__ import annotations

import pytest

from frontcounter.cli.main import _gui_parser, build_parser, parse_args


@pytest.mark.parametrize("argv", [
    [],
    ["--demo"],
    ["--data-dir", "/tmp/x", "--user", "counter.HH"],
    ["--data-dir=/tmp/x", "--station", "SG", "--central", "sqlite:///c.sqlite"],
    ["--self-check", "--data-dir", "/tmp/x"],
    ["--data", "/tmp/x"],  # an abbreviation, as argparse allows
])
def test_the_gui_parser_agrees_with_the_full_one(argv: list[str]) -> None:
    parser, args = parse_args(argv)
    assert vars(args) == vars(build_parser().parse_args(argv))
    assert parser.prog == "frontcounter"


@pytest.mark.parametrize("argv", [
    ["appointments", "--json"],
    ["--user", "demo"],  # a value that names a subcommand: the full parser decides
    ["--data-dir", "/tmp/x", "check-in", "HH-1"],
])
def test_anything_naming_a_subcommand_goes_to_the_full_parser(argv: list[str]) -> None:
    _parser, args = parse_args(argv)
    assert vars(args) == vars(build_parser().parse_args(argv))


def test_a_stray_word_gets_the_full_parsers_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["chek-in"])
    assert exited.value.code == 2
    assert "invalid choice: 'chek-in'" in capsys.readouterr().err


def test_the_gui_parser_has_only_the_global_options() -> None:
    text = _gui_parser().format_help()
    assert "SUBCOMMAND" not in text and "check-in" not in text and "--data-dir" in text
