"""English texts, the complete catalogue and the fallback for every other language.

Templates marked HTML are sent with ``parse_mode=HTML``: their values arrive escaped.
Every other template is sent as plain text.
"""

TEXTS = {
    # The bot's profile: the command menu and the descriptions shown before /start.
    "bot_description": (
        "I recommend movies from your ratings. Rate a few movies you have seen, with "
        "buttons or with /rate 102 5, and /recommend ranks the rest for you. "
        "I learn from everyone's ratings with a small neural network."
    ),
    "bot_short_description": "Movie recommendations from your ratings.",
    "command_start": "Register and show your user number",
    "command_help": "List the commands and what is stored",
    "command_rate": "Rate a movie: /rate 102 4.5, or pick with buttons",
    "command_recommend": "Your movies, best first",
    "command_movies": "Browse the catalogue",
    "command_myratings": "List your ratings",
    "command_unrate": "Remove a rating: /unrate 102",
    "command_export": "Your ratings as a CSV file",
    "command_forget": "Delete all your ratings",
    "command_status": "The model's version and the state of training",
    # Start and help.
    "welcome": (
        "Welcome! You are user #{user_id}.\n"
        "Rate a movie with /rate {example} 5 or pick one with /rate, then ask for /recommend.\n"
        "/help lists every command."
    ),
    "welcome_back": (
        "Welcome back! You are user #{user_id}.\n"
        "Rate a movie with /rate {example} 5 or pick one with /rate, then ask for /recommend.\n"
        "/help lists every command."
    ),
    "scale": "from {low} to {high} in steps of {step}",
    "help": (
        "I recommend movies from your ratings.\n"
        "\n"
        "/rate <movie_id> <rating> - rate a movie {scale}, for example /rate "
        "{example} {example_rating}\n"
        "/rate <title words> <rating> - find the movie by its title, for example "
        "/rate {title_example} 4\n"
        "/rate - pick movies to rate with buttons\n"
        "/recommend - your unrated movies, best first, with a score from 0 to 1\n"
        "/recommend all - every movie, with your ratings marked\n"
        "/recommend group - in a group, movies for everyone here who has rated\n"
        "/recommend <genre> - your picks in one genre, for example /recommend comedy\n"
        "/movies - browse the catalogue page by page\n"
        "/myratings - list your ratings\n"
        "/unrate <movie_id> - remove one of your ratings\n"
        "/export - your ratings as a CSV file\n"
        "/status - the model's version and the state of training\n"
        "/forget - delete all your ratings\n"
        "/start - show your user number\n"
        "/help - this list\n"
        "\n"
        "Rating again replaces your earlier rating. Edited messages are ignored: "
        "send the command again instead.\n"
        "\n"
        "Privacy: I store your Telegram user ID, your ratings with their times and the "
        "movies you marked as not seen; in groups, also your first name, so that group "
        "picks can name you. Nothing else about you is stored. /export sends you your "
        "ratings; /forget deletes everything."
    ),
    # /rate errors, each followed by the usage line.
    "rate_usage": "Usage: /rate <movie_id> <rating>",
    "rate_missing_both": "Missing the movie ID and the rating.",
    "rate_missing_rating": "Missing the rating.",
    "rate_too_many": "Expected two arguments, got {count}.",
    "movie_id_invalid": "Movie ID must be a whole number like 102, got {value}.",
    "rating_not_finite": "Rating must be a finite number, got {value}.",
    "rating_not_number": "Rating must be a number like 4 or 4.5, got {value}.",
    "rating_outside_scale": "Rating {rating} is outside the scale {low} to {high}.",
    "rating_far_outside_scale": "Rating is outside the scale {low} to {high}.",
    "rating_off_step": "Rating {rating} is not a multiple of {step}.",
    "movie_not_found": "Movie #{movie_id} is not in the catalogue.",
    "title_not_found": "No movie title contains {words}.",
    # /rate results (HTML).
    "rate_saved": "Saved: movie {movie} rated {rating}. Your recommendations are being updated.",
    "rate_replaced": (
        "Saved: movie {movie} rated {rating} (was {previous}). "
        "Your recommendations are being updated."
    ),
    "rate_pick": "Pick a movie to rate, or type the command:",
    "rate_pick_done": "You have rated or skipped every movie. /myratings lists your ratings.",
    "rate_choose_match": "Several movies match {words}. Pick the one you mean:",
    "rate_stars": "How would you rate {movie}?",
    "button_unseen": "Haven't seen it",
    "unseen_saved": "Noted: {movie} stays out of your picks.",
    # /recommend.
    "recommend_usage": "Usage: /recommend [all|group|<genre>]",
    "recommend_unknown_option": "Unknown option {value}.",
    "recommend_no_genres": "This catalogue has no genres, so {value} is not one.",
    "recommend_all_rated": "You have rated every movie. /recommend all shows them ranked.",
    "recommend_no_ratings": (
        "You have not rated any movie yet, so these are ranked by average rating. "
        "Rate one with /rate <movie_id> <rating> for personal picks:"
    ),
    "recommend_not_learned": (
        "The model has not learned your ratings yet; ranked by average rating:"
    ),
    "recommend_more_ratings": (
        "Rate {count} more movies to unlock personal picks. Until then, these are ranked "
        "by average rating:"
    ),
    "recommend_all_header": "All movies for you, best first:",
    "recommend_header": "Your top picks:",
    "recommend_genre_header": "Your top picks in {genre}:",
    "recommend_predicted": "(predicted {stars})",
    "recommend_you_rated": "(you rated {rating})",
    "recommend_stale": "Still learning your latest rating: ask again in a few seconds.",
    "recommend_cut": "Showing the top {shown} of {total} movies.",
    "recommend_no_ratings_yet": "(no ratings yet)",
    "recommend_average_rating": "(average rating)",
    "recommend_because": "    because you rated {title} highly",
    "recommend_group_header": "Picks for {names}, best first:",
    "recommend_group_private": (
        "/recommend group works in group chats: it ranks movies for the members who rated."
    ),
    "recommend_group_nobody": (
        "Nobody in this chat has rated a movie yet. Each member can rate with /rate."
    ),
    "recommend_group_all_rated": "Someone here has rated or skipped every movie.",
    # /movies (HTML).
    "movies_page": "Movies {first}-{last} of {total} (page {page} of {pages}):",
    "movies_empty": "The catalogue has no movies yet.",
    "movies_usage": "Usage: /movies [page]",
    "page_invalid": "Page must be a whole number from 1, got {value}.",
    "page_missing": "There is no page {page}: the last page is {pages}.",
    "button_more_picks": "More picks »",
    "button_previous": "« Previous",
    "button_next": "Next »",
    # Your data.
    "myratings_header": "Your ratings ({count}), newest first:",
    "myratings_more": "…and {count} more. /export sends all of them.",
    "myratings_empty": "You have not rated any movie yet. /rate shows movies to rate.",
    "unrate_usage": "Usage: /unrate <movie_id>",
    "unrate_missing_movie": "Missing the movie ID.",
    "unrate_done": "Removed your rating of {movie}.",
    "unrate_missing": "You have not rated movie #{movie_id}.",
    "export_caption": "Your ratings and not-seen marks ({count}).",
    "export_empty": "You have no ratings to export yet.",
    "forget_confirm": (
        "Delete all your ratings ({count}) and your user number? This cannot be undone."
    ),
    "forget_nothing": "I store nothing about you yet.",
    "button_forget_yes": "Yes, delete everything",
    "button_forget_no": "No, keep it",
    "forget_done": (
        "Deleted your ratings and your user number. The model drops them at its next "
        "training. /start registers you again as a new user."
    ),
    "forget_cancelled": "Kept your ratings.",
    # Buttons pressed.
    "callback_invalid": "This button is not valid. Send the command again.",
    "callback_stale": "This button is out of date. Send the command again.",
    "callback_not_yours": "This button belongs to someone else's message.",
    "callback_saved": "Saved.",
    # Flood control and errors.
    "flood_notice": "You are sending commands too fast. Please wait a moment and try again.",
    "use_personal_account": "Please send commands from a personal Telegram account.",
    "unknown_command": "Unknown command. /help lists the commands.",
    "not_a_command": "I only understand commands. /help lists them.",
    "apology": "Sorry, something went wrong on my side. Please try again.",
}
