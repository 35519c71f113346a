"""Layers merged key by key (checks too), each key's source recorded; the seeds' names."""

from __future__ import annotations

from pathlib import Path

from argusai.review.config_layers import (
    DEFAULT,
    REPOSITORY,
    SERVER,
    Layer,
    config_rows,
    merge_layers,
    operator_source,
    organisation_source,
    server_layer,
    source_keys,
)
from argusai.review.models import Severity
from argusai.review.repo_config import read_layer, validate_layer
from tests.conftest import make_settings


def layer(source: str, text: str) -> Layer:
    values, problems = read_layer(text)
    assert problems == []
    return Layer(source, values)


def test_each_layer_overrides_the_one_below_key_by_key(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_comments_per_review=9)
    config, sources, problems = merge_layers(
        [
            server_layer(settings),
            layer(operator_source("global"), "severity_threshold: high\nlanguage: Deutsch\n"),
            layer(operator_source("repository", "o/r"), "max_comments: 5\nlanguage: Français\n"),
            layer(organisation_source("o"), "language: Português\nmax_comments: 3\n"),
            layer(REPOSITORY, "max_comments: 1\n"),
        ]
    )
    assert problems == []
    assert config.severity_threshold is Severity.HIGH
    assert (config.language, config.max_comments) == ("Português", 1)
    assert sources["severity_threshold"] == "operator (global)"
    assert sources["language"] == "organisation (o/.github .argus.yml)"
    assert sources["max_comments"] == "repository (.argus.yml)"
    assert sources["verify"] == SERVER and sources["fail_on"] == DEFAULT


def test_checks_merge_key_by_key_and_lists_are_replaced() -> None:
    config, sources, _ = merge_layers(
        [
            layer("org", "checks:\n  secrets: false\n  max_file_bytes: 10\nexclude: ['a/**']\n"),
            layer("repo", "checks:\n  max_file_bytes: 20\nexclude: ['b/**']\n"),
        ]
    )
    assert (config.checks.secrets, config.checks.max_file_bytes) == (False, 20)
    assert config.checks.large_files is True
    assert sources["checks.secrets"] == "org" and sources["checks.max_file_bytes"] == "repo"
    assert sources["checks.large_files"] == DEFAULT
    assert config.exclude == ["b/**"] and sources["exclude"] == "repo"


def test_a_layer_holds_only_the_keys_it_sets() -> None:
    values, problems = read_layer("language: Deutsch\nchecks:\n  secrets: false\n")
    assert problems == [] and values == {"language": "Deutsch", "checks": {"secrets": False}}
    assert read_layer(None) == ({}, [])


def test_the_seeds_names_are_aliases() -> None:
    values, problems = read_layer(
        "maxFilesPerPR: 50\nmaxLinesPerFile: 1000\nfilePatterns: ['**/*.{js,ts,py,go,java}']\n"
        "ignorePatterns: ['**/node_modules/**', '**/vendor/**']\n"
        "reviewPromptTemplate: 'custom-prompt-v2'\n"
    )
    assert problems == []
    assert values == {
        "max_files": 50,
        "max_lines_per_file": 1000,
        "include": ["**/*.{js,ts,py,go,java}"],
        "exclude": ["**/node_modules/**", "**/vendor/**"],
        "prompt_template": "custom-prompt-v2",
    }
    values, problems = validate_layer({"include": ["a/**"], "filePatterns": ["b/**"]})
    assert values == {"include": ["a/**"]}
    assert problems == ["`filePatterns` and `include` both set; `include` used"]


def test_unknown_and_invalid_keys_are_named_and_the_rest_kept() -> None:
    values, problems = read_layer(
        "colour: red\nmax_comments: 2\nchecks:\n  secrets: false\n  nope: 1\n"
        "path_instructions:\n  - path: 'a/**'\n  - path: b\n    instructions: ok\n"
    )
    assert values == {
        "max_comments": 2,
        "checks": {"secrets": False},
        "path_instructions": [{"path": "b", "instructions": "ok"}],
    }
    assert "unknown key `colour` (ignored)" in problems
    assert "unknown key `checks.nope` (ignored)" in problems
    assert any(p.startswith("`path_instructions.0.instructions`") for p in problems)


def test_prompt_template_names_are_plain_names() -> None:
    assert read_layer("prompt_template: team-v2.j2\n") == ({"prompt_template": "team-v2"}, [])
    for bad in ("../secrets", "a/b", ".hidden"):
        values, problems = read_layer(f"prompt_template: '{bad}'\n")
        assert values == {} and problems, bad


def test_rows_cover_every_key_with_its_source() -> None:
    config, sources, _ = merge_layers([layer("repo", "language: Deutsch\n")])
    shown = {key: (value, source) for key, value, source in config_rows(config, sources)}
    assert list(shown) == source_keys()
    assert shown["language"] == ('"Deutsch"', "repo")
    assert shown["checks.secrets"] == ("true", DEFAULT)
    assert "prompt_template_sha" not in shown
