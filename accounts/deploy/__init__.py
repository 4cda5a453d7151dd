"""What ``manage.py migrate`` does around Django's migrate so that a deploy can run it blindly.

* ``guard``: refuse a database that is not EnerLink's before anything is created in it.
* ``lock``: one migrate at a time per database (two deploy pods), waiting by polling.
* ``session``: a backend whose client died gives up its locks within a second; the
  rename's notices (its attempts) are shown.
* ``retries``: which failures are worth another attempt of the whole rename, and when.

The command (accounts/management/commands/migrate.py) only puts these together.
"""
