"""The learner's web app (Streamlit). ``main.py`` is the entry point, ``shell.py`` the frame around every page,
``pages.py`` the table of pages; each page is drawn by a ``page`` function in the module named for it."""
