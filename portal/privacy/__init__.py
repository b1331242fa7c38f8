"""Personal data: the privacy statement with the record of processing, and each person's export."""
