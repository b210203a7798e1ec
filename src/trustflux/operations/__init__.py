"""Operations under purpose limitation: one job per declared purpose.

billing (contract), fraud detection and network optimisation (legitimate interests, opt-out),
targeted offers (consent), gateway telemetry and diagnostics (contract). Every job takes the
subscribers the gate allows for its purpose at run time, reads nothing else about people,
and returns a ``RunRecord`` that its ``RunRecorder`` keeps.
"""
