from sandbox.app.phase import phase_page

phase_page("data")
