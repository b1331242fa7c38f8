"""Flask extensions, created unbound and initialised in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Storage failures arrive as limits' StorageError whatever the backend, so that one error
# handler can answer them (a 503: a guarded route fails closed when its counters are gone).
limiter = Limiter(key_func=get_remote_address, default_limits=[],
                  storage_options={"wrap_exceptions": True})
