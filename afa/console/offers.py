"""PLACEHOLDER: being written."""
from __future__ import annotations

from flask import Blueprint, render_template_string

bp = Blueprint("offers", __name__, url_prefix="/offers")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render_template_string("{% extends 'base.html' %}{% block main %}<h1>offers</h1>{% endblock %}")
