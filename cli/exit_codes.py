"""What each `rom` command's exit code means, shown at the end of its `--help`."""

from __future__ import annotations

ERROR = "2 an error: invalid input or usage, a refusal, the API or a device unreachable"
DEFAULT = f"Exit codes: 0 done; {ERROR}."
ROOT = (
    f"Exit codes: 0 success; 1 the work failed or found drift; {ERROR}. Each command's --help gives its own."
)
GROUP = "Exit codes: each command's --help gives its own; 2 an unknown command or option."
EXIT_CODES = {
    "order submit": "Exit codes: 0 completed (or the dry run shown); 1 the order failed or was partial; "
    f"{ERROR} (a 400/409/422 refusal included).",
    "order watch": f"Exit codes: 0 completed; 1 failed, partial or cancelled; {ERROR}.",
    "order cancel": "Exit codes: 0 cancelled or cancellation requested; 1 the order had already ended; "
    f"{ERROR}.",
    "health": "Exit codes: 0 the API answers; 2 it does not (within --wait), or an error.",
    "drift report": "Exit codes: 0 in sync; 1 drift or unmanaged entries; "
    "2 a device unreachable, or an error.",
    "drift remediate": "Exit codes: 0 remediated, or nothing to remediate; 1 a dry run that would push; "
    "2 a device unreachable, a push that failed (rolled back), or an error.",
    "drift adopt": f"Exit codes: 0 every difference adopted; 1 some cannot be adopted; {ERROR}.",
    "inventory owners": f"Exit codes: 0 one owner per path; 1 repeats or conflicting values found; {ERROR}.",
    "inventory pool-sync": f"Exit codes: 0 every UPF read; 1 some could not be read; {ERROR}.",
    "device schema fetch": f"Exit codes: 0 every announced module fetched; 1 some refused; {ERROR}.",
    "serve": "Exit codes: 0 stopped; 1 it could not start (e.g. the port is taken); 2 invalid settings, "
    "or a database behind this ROM's schema (run `rom db upgrade`).",
    "sims": "Exit codes: 0 stopped; 2 invalid topology or settings.",
}


def epilog(command: str) -> str:
    """The exit codes of `command` ("order submit"), as its --help ends."""
    return EXIT_CODES.get(command, DEFAULT)
