"""The learner's web app (Streamlit). Views are in ``views/``; ``main.py`` is the entry point."""
