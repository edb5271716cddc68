"""`make bench`: the speed of the pages and of the reminder sweep against the framework's own floor."""
