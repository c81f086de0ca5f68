"""The worker's own platform history: import (MTurk status_details, Prolific submissions), listing, deleting."""
