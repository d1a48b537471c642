"""``python -m dashapp``: serve on 127.0.0.1:8050 (HOST and PORT honoured).

Debug mode and dev tools stay off unless DASH_DEBUG=1 asks for them.
"""

import os

from dashapp.app import app

if __name__ == "__main__":
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=os.environ.get("DASH_DEBUG", "0") == "1",
    )
