"""PLACEHOLDER: being written."""
from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("audit_log", __name__, url_prefix="/audit_log")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template_string("{% extends 'base.html' %}{% block main %}<h1>audit_log</h1>{% endblock %}")
