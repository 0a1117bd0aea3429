"""Env files (.env.example, a developer's .env) read by the tools that start the Procfile's
processes, as python-dotenv and a shell read them."""
from config import read_env_file


def test_an_env_file_is_read_as_a_shell_would(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# production-like run\n"
        "\n"
        'export SECRET_KEY="two words"\n'
        "PUBLIC_BASE_URL=http://127.0.0.1:5000  # the site's own address\n"
        "STRIPE_API_BASE=\n"
        "DATABASE_URL='postgresql://postgres@127.0.0.1:5432/$USER'\n"
    )
    assert read_env_file(env_file) == {
        "SECRET_KEY": "two words",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "STRIPE_API_BASE": "",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/$USER",
    }
