"""The learner's web app: ``streamlit run sandbox/app/main.py`` (``sandbox serve`` does this).

Streamlit runs this script as ``__main__``. The run workers are started with "spawn", which re-runs the
parent's main module in each new process as ``__mp_main__``; while a page runs, that module is this script.
So nothing happens here unless Streamlit runs it: the workers neither start the app nor import it.
"""

if __name__ == "__main__":
    from sandbox.app.shell import run

    run()
