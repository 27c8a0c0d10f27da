"""When things happen within a simulated day (time is in days): events strike, the day's batch is scored and
routed, the monitors run, and the day is recorded."""

EVENT_TIME = 0.25
BATCH_TIME = 0.5
MONITOR_TIME = 0.75
CLOSE_TIME = 0.999
