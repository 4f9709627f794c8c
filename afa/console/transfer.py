"""PLACEHOLDER: being written."""
from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("transfer", __name__, url_prefix="/transfer")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template_string("{% extends 'base.html' %}{% block main %}<h1>transfer</h1>{% endblock %}")
