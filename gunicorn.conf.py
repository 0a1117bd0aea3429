"""gunicorn settings for the Procfile's web process (`--config gunicorn.conf.py`).

gunicorn puts "Server: gunicorn" on every answer (no version since 20.1); we name no
server software at all, so a scanner has nothing to match against known flaws. gunicorn
has no setting for it: the header's value is the module global its Response reads.
"""
import gunicorn.http.wsgi

from checkout.security import SERVER_NAME

gunicorn.http.wsgi.SERVER = SERVER_NAME
