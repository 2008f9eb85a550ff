"""`python -m mock_server serve ...`"""

import sys

from .cli import main

sys.exit(main())
