"""Small source files in six languages: a long method, and a call into another file."""

from __future__ import annotations

FILLER = 120  # lines of body: longer than a scope shown whole


def _body(prefix: str, line: str, end: str = "") -> str:
    return "\n".join(
        [f"{prefix}{line.format(i=i)}" for i in range(FILLER)] + ([end] if end else [])
    )


# name -> (path, text, the line to change, the expected signature's first line)
LONG_METHOD: dict[str, tuple[str, str, str]] = {
    "python": (
        "pkg/service.py",
        "import os\n\n\nclass Service:\n    def process(self, items, *, strict=False):\n"
        '        """Process the items."""\n'
        + _body("        ", "total_{i} = len(items) + {i}")
        + "\n        return total_0\n",
        "    def process(self, items, *, strict=False):",
    ),
    "javascript": (
        "src/service.js",
        "export class Service {\n  process(items, strict) {\n"
        + _body("    ", "const total{i} = items.length + {i};", "  }\n}\n"),
        "  process(items, strict) {",
    ),
    "typescript": (
        "src/service.ts",
        "export class Service {\n  process(items: string[], strict: boolean): number {\n"
        + _body("    ", "const total{i}: number = items.length + {i};", "    return 0;\n  }\n}\n"),
        "  process(items: string[], strict: boolean): number {",
    ),
    "go": (
        "service/service.go",
        "package service\n\ntype Service struct{}\n"
        "\nfunc (s *Service) Process(items []string) int {\n"
        + _body("\t", "total{i} := len(items) + {i}", "\treturn 0\n}\n"),
        "func (s *Service) Process(items []string) int {",
    ),
    "java": (
        "src/main/java/app/Service.java",
        "package app;\n\n"
        "public class Service {\n    public int process(java.util.List<String> items) {\n"
        + _body("        ", "int total{i} = items.size() + {i};", "        return 0;\n    }\n}\n"),
        "    public int process(java.util.List<String> items) {",
    ),
    "rust": (
        "src/service.rs",
        "pub struct Service;\n\n"
        "impl Service {\n    pub fn process(&self, items: &[String]) -> usize {\n"
        + _body("        ", "let total{i} = items.len() + {i};", "        0\n    }\n}\n"),
        "    pub fn process(&self, items: &[String]) -> usize {",
    ),
    "ruby": (
        "lib/service.rb",
        "class Service\n  def process(items, strict = false)\n"
        + _body("    ", "total{i} = items.size + {i}", "  end\nend\n"),
        "  def process(items, strict = false)",
    ),
    "c": (
        "src/service.c",
        '#include "util.h"\n\nstatic int process(const char **items, int n)\n{\n'
        + _body("    ", "int total{i} = n + {i};", "    return 0;\n}\n"),
        "static int process(const char **items, int n)",
    ),
}

# name -> (caller path, caller text, the calling line, the callee's file {path: text},
#          the callee's name, its definition's first line)
CROSS_FILE: dict[str, tuple[str, str, int, dict[str, str], str, str]] = {
    "python": (
        "pkg/app.py",
        "from pkg.util import normalise\n\n\ndef run(x):\n    return normalise(x)\n",
        5,
        {
            "pkg/util.py": 'def normalise(value):\n    """Strip and lower."""\n    return value\n',
            "other/util.py": "def normalise():\n    pass\n",
        },
        "normalise",
        "def normalise(value):",
    ),
    "javascript": (
        "src/app.js",
        "import { normalise } from './util';\n\n"
        "export function run(x) {\n  return normalise(x);\n}\n",
        4,
        {"src/util.js": "export function normalise(value) {\n  return value.trim();\n}\n"},
        "normalise",
        "export function normalise(value) {",
    ),
    "typescript": (
        "src/app.ts",
        "import { Normaliser } from './util';\n\nexport function run(x: string): string {\n"
        "  return new Normaliser().apply(x);\n}\n",
        4,
        {
            "src/util.ts": "export class Normaliser {\n  apply(value: string): string {\n"
            "    return value.trim();\n  }\n}\n"
        },
        "Normaliser",
        "export class Normaliser {",
    ),
    "go": (
        "service/run.go",
        "package service\n\nfunc Run(x string) string {\n\treturn Normalise(x)\n}\n",
        4,
        {
            "service/util.go": "package service\n\n"
            "func Normalise(v string) string {\n\treturn v\n}\n"
        },
        "Normalise",
        "func Normalise(v string) string {",
    ),
    "java": (
        "src/main/java/app/Run.java",
        "package app;\n\nimport app.util.Normaliser;\n\npublic class Run {\n"
        "    String run(String x) {\n        return Normaliser.normalise(x);\n    }\n}\n",
        7,
        {
            "src/main/java/app/util/Normaliser.java": "package app.util;\n\n"
            "public class Normaliser {\n"
            "    public static String normalise(String v) {\n        return v.trim();\n    }\n}\n"
        },
        "normalise",
        "    public static String normalise(String v) {",
    ),
    "rust": (
        "src/run.rs",
        "use crate::util::normalise;\n\npub fn run(x: &str) -> String {\n    normalise(x)\n}\n",
        4,
        {"src/util.rs": "pub fn normalise(v: &str) -> String {\n    v.trim().to_string()\n}\n"},
        "normalise",
        "pub fn normalise(v: &str) -> String {",
    ),
    "ruby": (
        "lib/run.rb",
        "require_relative 'util'\n\ndef run(x)\n  normalise(x)\nend\n",
        4,
        {"lib/util.rb": "def normalise(value)\n  value.strip\nend\n"},
        "normalise",
        "def normalise(value)",
    ),
    "c": (
        "src/run.c",
        '#include "util.h"\n\nint run(int x)\n{\n    return normalise(x);\n}\n',
        5,
        {"src/util.c": "int normalise(int v)\n{\n    return v;\n}\n"},
        "normalise",
        "int normalise(int v)",
    ),
}
