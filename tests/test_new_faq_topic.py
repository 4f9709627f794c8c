"""Staff add an FAQ topic with example questions; `afa train` trains and swaps the model into the running
server (Rasa's PUT /model) without dropping conversations."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy.orm import Session

from afa.content import export_tables, write_tables
from afa.db import make_engine
from afa.settings import PROJECT_ROOT, Settings
from conftest import free_port, seed

pytestmark = pytest.mark.server
AFA = str(Path(sys.executable).with_name("afa"))

KITA = {
    "key": "childcare",
    "answer_de": "Kinderbetreuung: Fragen Sie das Coach-Team, es kennt Angebote mit Kinderbetreuung.",
    "answer_tr": "Çocuk bakımı: Danışman ekibine sorun, çocuk bakımı olan imkânları bilirler.",
    "answer_bg": "Грижа за деца: попитайте консултантите, те знаят предложения с грижа за деца.",
    "answer_ro": "Îngrijirea copiilor: întrebați echipa de consilieri, știu oferte cu îngrijire pentru copii.",
}
EXAMPLES = {
    "de": ["Gibt es Kinderbetreuung während des Kurses?", "wer passt auf mein kind auf", "kita während kurs?", "Kann ich mein Baby mitbringen?"],
    "tr": ["Kurs sırasında çocuk bakımı var mı?", "cocuguma kim bakacak", "kres var mi kurs sirasinda", "bebeğimi getirebilir miyim?"],
    "bg": ["Има ли грижа за децата по време на курса?", "koi shte gleda deteto mi", "детска градина по време на курса?", "мога ли да взема бебето?"],
    "ro": ["Există îngrijire pentru copii în timpul cursului?", "cine are grija de copilul meu", "gradinita in timpul cursului?", "pot veni cu bebelușul?"],
}


def test_new_topic_is_trained_and_swapped_in(trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from afa.serve import Services

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'afa.db'}",
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "AFA_GENERATED_DIR": str(tmp_path / "generated"),
        "AFA_MODELS_DIR": str(tmp_path / "models"),
    }
    for name in ("DATABASE_URL", "RASA_PORT", "ACTION_PORT", "AFA_GENERATED_DIR", "AFA_MODELS_DIR"):
        monkeypatch.setenv(name, env[name])  # restored afterwards: the session's servers keep their settings
    settings = Settings()
    engine = make_engine(settings.database_url)
    from afa.db import create_schema

    create_schema(engine)
    seed(engine)
    with Session(engine, future=True) as session:
        faq = export_tables(session)["faq"]
    engine.dispose()
    examples = [{"key": "childcare", "language": lang, "text": t} for lang, texts in EXAMPLES.items() for t in texts]
    content = tmp_path / "topic.xlsx"
    write_tables(content, {"faq": [*faq, KITA], "faq_examples": examples})

    with Services(settings, trained_model, log_dir=tmp_path / "logs"):
        hook = f"{settings.rasa_url}/webhooks/rest/webhook"
        before = requests.post(hook, json={"sender": "mother", "message": "Merhaba, nasılsınız?"}, timeout=60).json()
        assert before
        result = subprocess.run([AFA, "content", "import", str(content)], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        result = subprocess.run([AFA, "train"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert "loaded into the Rasa server" in result.stdout
        assert (tmp_path / "generated" / "faq_topics.yml").exists()

        replies = requests.post(hook, json={"sender": "mother", "message": "kurs sırasında çocuğuma kim bakar?"},
                                timeout=60).json()
        assert replies[0]["text"] == KITA["answer_tr"]
        tracker = requests.get(f"{settings.rasa_url}/conversations/mother/tracker", timeout=30).json()
        texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
        assert texts[0] == "Merhaba, nasılsınız?"  # the conversation survived the swap
        assert tracker["slots"]["language"] == "tr"
