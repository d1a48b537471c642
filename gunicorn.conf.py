"""gunicorn settings, read automatically from the working directory (Procfile, tests, bench).

Workers come from $WEB_CONCURRENCY (gunicorn's own convention; 2 when unset), threads from
$GUNICORN_THREADS. Shareable links carry the text in the query string and Dash reads the
link back from the Referer header, so the request line and header limits (4 KB and 8 KB by
default) are lifted; request bodies stay capped by the app (MAX_CONTENT_LENGTH, 2 MB).
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
limit_request_line = 0
limit_request_field_size = 0
accesslog = "-" if os.environ.get("ATLAS_ACCESS_LOG", "1") == "1" else None
