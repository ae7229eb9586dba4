"""The matrix's counts, per fault family, and the table printed at the end of ``make test`` and
repeated by ``make bench``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tests.faultmatrix.nights import Tally


@dataclass
class MatrixReport:
    rows: dict[str, Tally] = field(default_factory=dict)
    crashes: Counter[str] = field(default_factory=Counter)
    # POSTs the fake MyUnisoft refused as duplicates (its uniqueness on): 0 means paysync never
    # even asked to post an entry twice, so nothing held because of MyUnisoft.
    duplicates_refused: int = 0
    # The vendor nights again, by the existence check's path each dossier was on (not in the total).
    existence: dict[str, Tally] = field(default_factory=dict)

    def row(self, name: str) -> Tally:
        return self.rows.setdefault(name, Tally())

    @property
    def total(self) -> Tally:
        total = Tally()
        for tally in self.rows.values():
            total.add(tally)
        return total

    def table(self) -> str:
        header = (
            "fault family",
            "combinations",
            "expected",
            "in MyUnisoft",
            "duplicates",
            "lost",
            "stuck runs",
            "DLQ, not transient",
        )
        lines: list[tuple[str, ...]] = [header]
        for name, tally in [*self.rows.items(), ("total", self.total)]:
            lines.append(
                (
                    name,
                    *(
                        str(value)
                        for value in (
                            tally.combinations,
                            tally.expected,
                            tally.in_myunisoft,
                            tally.duplicates,
                            tally.lost,
                            tally.stuck,
                            tally.dead_letters_not_transient,
                        )
                    ),
                )
            )
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        out = []
        for n, line in enumerate(lines):
            cells = [line[0].ljust(widths[0]), *(cell.rjust(widths[i]) for i, cell in enumerate(line) if i)]
            out.append("  ".join(cells))
            if n in (0, len(lines) - 2):
                out.append("  ".join("-" * w for w in widths))
        out.append(
            f"POSTs MyUnisoft refused as duplicates (where it enforces uniqueness): {self.duplicates_refused}"
        )
        if self.existence:
            out.append(
                "the vendor faults by existence path (combinations, expected, in MyUnisoft, duplicates, lost):"
            )
            width = max(len(name) for name in self.existence)
            for name, tally in self.existence.items():
                figures = (
                    tally.combinations,
                    tally.expected,
                    tally.in_myunisoft,
                    tally.duplicates,
                    tally.lost,
                )
                out.append(f"  {name.ljust(width)}  " + "  ".join(f"{v:>5}" for v in figures))
        return "\n".join(out)
