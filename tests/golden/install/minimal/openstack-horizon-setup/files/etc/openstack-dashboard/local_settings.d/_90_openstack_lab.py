# openstack-lab: loaded after Debian's local_settings.py and _0006_debian_cache.py, so
# these values win.
OPENSTACK_HOST = "controller"
OPENSTACK_KEYSTONE_URL = "http://controller:5000/v3"
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
OPENSTACK_API_VERSIONS = {"identity": 3, "image": 2, "volume": 3}
OPENSTACK_ENDPOINT_TYPE = "internalURL"
ALLOWED_HOSTS = ["*"]
SECRET_KEY = "MOCKopenstack-secrets-horizon-secret-keyMOCKopen"
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": "controller:11211",
    },
}
# Horizon sits behind the TLS endpoint on the network node.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browsers reach Horizon over TLS only: its cookies never travel in clear. The session
# cookie is out of scripts' reach too; the CSRF cookie stays readable (Horizon's Angular
# code sends it back as X-CSRFToken).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = ["https://10.0.2.11"]
TIME_ZONE = "UTC"
