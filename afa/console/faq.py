"""PLACEHOLDER: being written."""
from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("faq", __name__, url_prefix="/faq")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template_string("{% extends 'base.html' %}{% block main %}<h1>faq</h1>{% endblock %}")
