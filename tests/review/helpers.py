"""Posting the review forms the way the page does."""

from __future__ import annotations

from typing import Any

from tests.auth.helpers import post


def verdict_form(entries: dict[str, tuple[str, str, str] | tuple[str, str, str, str]],
                 section: str = "") -> dict[str, Any]:
    """``{question: (verdict, comment to supplier, internal note[, base fingerprint])}``."""
    data: dict[str, Any] = {"section": section}
    for index, (question_id, values) in enumerate(entries.items()):
        verdict, comment, note, *base = values
        data.update({
            f"verdicts-{index}-question_id": question_id,
            f"verdicts-{index}-base": base[0] if base else "",
            f"verdicts-{index}-verdict": verdict,
            f"verdicts-{index}-comment_to_supplier": comment,
            f"verdicts-{index}-internal_note": note,
        })
    return data


def save_verdicts(client: Any, response: Any, entries: dict[str, Any], section: str = "") -> Any:
    return post(client, f"/review/responses/{response.id}/verdicts", verdict_form(entries, section))


def return_response(client: Any, response: Any, questions: list[str], message: str) -> Any:
    return post(client, f"/review/responses/{response.id}/return",
                {"questions": questions, "message": message})


def accept(client: Any, response: Any, data: dict[str, Any] | None = None) -> Any:
    """Accept as a reviewer who has seen the questions left unjudged and accepts anyway;
    ``data`` is the rest of the accept form (a historical round's date)."""
    import re

    reply = post(client, f"/review/responses/{response.id}/accept", dict(data or {}))
    if reply.status_code != 200:
        return reply
    page = reply.get_data(as_text=True)
    seen = re.search(r'name="gaps_seen"[^>]*value="([0-9a-f]+)"', page)
    assert seen, "the confirmation page names the gaps it confirms"
    # The confirmation carries what was posted with the first press.
    kept = dict(re.findall(r'<input type="hidden" name="(accepted_on)" value="([^"]*)"', page))
    return post(client, f"/review/responses/{response.id}/accept", {"gaps_seen": seen.group(1), **kept})
