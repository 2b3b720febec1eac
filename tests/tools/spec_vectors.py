#!/usr/bin/env python3
"""Regenerates tests/MetaSpike.Tests/Surrogates/SpecVectors.cs from section 6 of the surrogate spec.

Usage: python3 tests/tools/spec_vectors.py ../shared/spec/surrogates.md
"""
import re
import sys

spec = open(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/surrogates.md").read()
section = spec[spec.index("## 6. Test vectors"):spec.index("## 7. Version history")]
entries = []
for block in re.split(r"^### ", section, flags=re.M)[1:]:
    match = re.match(r"(\w+) \((.*)\)", block.splitlines()[0])
    family = {"ERF": "Erf"}.get(match.group(1), match.group(1))
    settings = ", ".join(f'["{k.strip()}"] = {v.strip()}' for k, v in (p.split("=") for p in match.group(2).split(",")))
    rows = []
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith(("| quantity", "|---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append(f'            ["{cells[0]}"] = [{", ".join(cells[1:])}],')
    entries.append(f'        new("{family}", new Dictionary<string, double> {{ {settings} }}, new Dictionary<string, double[]>\n'
                   "        {\n" + "\n".join(rows) + "\n        }),")

out = """namespace MetaSpike.Tests.Surrogates;

/// <summary>
/// The float64 test vectors of shared/spec/surrogates.md section 6 (computed there from the closed forms,
/// independently of this code), at x = -2, -1, -0.5, 0, 0.5, 1, 2. Regenerate with tests/tools/spec_vectors.py.
/// </summary>
internal static class SpecVectors
{
    public static readonly double[] X = [-2, -1, -0.5, 0, 0.5, 1, 2];

    public sealed record Table(string Family, Dictionary<string, double> Settings, Dictionary<string, double[]> Rows);

    public static readonly Table[] Tables =
    [
""" + "\n".join(entries) + """
    ];
}
"""
open("tests/MetaSpike.Tests/Surrogates/SpecVectors.cs", "w").write(out)
