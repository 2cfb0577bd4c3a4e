"""Russian texts. A key missing here falls back to the English template."""

TEXTS = {
    # The bot's profile: the command menu and the descriptions shown before /start.
    "bot_description": (
        "Я рекомендую фильмы по вашим оценкам. Оцените несколько фильмов, которые вы "
        "видели, кнопками или командой /rate 102 5, и /recommend упорядочит остальные для "
        "вас. Я учусь на оценках всех пользователей с помощью небольшой нейросети."
    ),
    "bot_short_description": "Рекомендации фильмов по вашим оценкам.",
    "command_start": "Зарегистрироваться и узнать свой номер",
    "command_help": "Список команд и что хранится",
    "command_rate": "Оценить фильм: /rate 102 4.5 или кнопками",
    "command_recommend": "Ваши фильмы, лучшие первыми",
    "command_movies": "Каталог фильмов",
    "command_myratings": "Список ваших оценок",
    "command_unrate": "Удалить оценку: /unrate 102",
    "command_export": "Ваши оценки файлом CSV",
    "command_forget": "Удалить все ваши оценки",
    "command_status": "Версия модели и состояние обучения",
    # Start and help.
    "welcome": (
        "Добро пожаловать! Ваш номер пользователя: #{user_id}.\n"
        "Оцените фильм командой /rate {example} 5 или выберите фильм через /rate, "
        "затем попросите /recommend.\n"
        "/help покажет все команды."
    ),
    "welcome_back": (
        "С возвращением! Ваш номер пользователя: #{user_id}.\n"
        "Оцените фильм командой /rate {example} 5 или выберите фильм через /rate, "
        "затем попросите /recommend.\n"
        "/help покажет все команды."
    ),
    "scale": "от {low} до {high} с шагом {step}",
    "help": (
        "Я рекомендую фильмы по вашим оценкам.\n"
        "\n"
        "/rate <movie_id> <rating> - оценить фильм {scale}, например /rate "
        "{example} {example_rating}\n"
        "/rate <слова названия> <rating> - найти фильм по названию, например "
        "/rate {title_example} 4\n"
        "/rate - выбрать фильмы для оценки кнопками\n"
        "/recommend - ваши неоценённые фильмы, лучшие первыми, с баллом от 0 до 1\n"
        "/recommend all - все фильмы, ваши оценки отмечены\n"
        "/recommend group - в группе: фильмы для всех, кто здесь оценивал\n"
        "/recommend <genre> - лучшее в одном жанре, например /recommend comedy\n"
        "/movies - каталог по страницам\n"
        "/myratings - список ваших оценок\n"
        "/unrate <movie_id> - удалить одну оценку\n"
        "/export - ваши оценки файлом CSV\n"
        "/status - версия модели и состояние обучения\n"
        "/forget - удалить все ваши оценки\n"
        "/start - показать ваш номер пользователя\n"
        "/help - этот список\n"
        "\n"
        "Новая оценка заменяет прежнюю. Изменённые сообщения не выполняются: "
        "отправьте команду заново.\n"
        "\n"
        "Конфиденциальность: я храню ваш Telegram ID, ваши оценки со временем и фильмы, "
        "отмеченные как непросмотренные; в группах ещё ваше имя, чтобы назвать вас в "
        "общих рекомендациях. Больше ничего о вас не хранится. /export пришлёт ваши "
        "оценки; /forget удалит всё."
    ),
    # /rate errors, each followed by the usage line.
    "rate_usage": "Использование: /rate <movie_id> <rating>",
    "rate_missing_both": "Не указаны номер фильма и оценка.",
    "rate_missing_rating": "Не указана оценка.",
    "rate_too_many": "Ожидалось два аргумента, получено {count}.",
    "movie_id_invalid": "Номер фильма должен быть целым числом, например 102, получено {value}.",
    "rating_not_finite": "Оценка должна быть конечным числом, получено {value}.",
    "rating_not_number": "Оценка должна быть числом, например 4 или 4.5, получено {value}.",
    "rating_outside_scale": "Оценка {rating} вне шкалы от {low} до {high}.",
    "rating_far_outside_scale": "Оценка вне шкалы от {low} до {high}.",
    "rating_off_step": "Оценка {rating} не кратна {step}.",
    "movie_not_found": "Фильма #{movie_id} нет в каталоге.",
    "title_not_found": "Ни одно название фильма не содержит {words}.",
    # /rate results (HTML).
    "rate_saved": "Сохранено: {movie}, оценка {rating}. Рекомендации обновляются.",
    "rate_replaced": (
        "Сохранено: {movie}, оценка {rating} (была {previous}). Рекомендации обновляются."
    ),
    "rate_pick": "Выберите фильм для оценки или напишите команду:",
    "rate_pick_done": "Вы оценили или пропустили все фильмы. /myratings покажет ваши оценки.",
    "rate_choose_match": "Под {words} подходят несколько фильмов. Выберите нужный:",
    "rate_stars": "Как вы оцените {movie}?",
    "button_unseen": "Не смотрел(а)",
    "unseen_saved": "Отмечено: {movie} не попадёт в ваши рекомендации.",
    # /recommend.
    "recommend_usage": "Использование: /recommend [all|group|<genre>]",
    "recommend_unknown_option": "Неизвестный параметр {value}.",
    "recommend_no_genres": "В этом каталоге нет жанров, поэтому {value} не подходит.",
    "recommend_all_rated": "Вы оценили все фильмы. /recommend all покажет их по порядку.",
    "recommend_no_ratings": (
        "Вы ещё не оценили ни одного фильма, поэтому они упорядочены по средней оценке. "
        "Оцените фильм командой /rate <movie_id> <rating>, чтобы получить личные советы:"
    ),
    "recommend_not_learned": (
        "Модель ещё не выучила ваши оценки; фильмы упорядочены по средней оценке:"
    ),
    "recommend_more_ratings": (
        "Оцените ещё {count} фильм(а), чтобы открыть личные рекомендации. Пока фильмы "
        "упорядочены по средней оценке:"
    ),
    "recommend_all_header": "Все фильмы для вас, лучшие первыми:",
    "recommend_header": "Лучшее для вас:",
    "recommend_genre_header": "Лучшее для вас в жанре {genre}:",
    "recommend_predicted": "(прогноз {stars})",
    "recommend_you_rated": "(ваша оценка {rating})",
    "recommend_stale": "Модель ещё учит вашу последнюю оценку: спросите "
    "снова через несколько секунд.",
    "recommend_cut": "Показаны первые {shown} из {total} фильмов.",
    "recommend_no_ratings_yet": "(ещё нет оценок)",
    "recommend_average_rating": "(средняя оценка)",
    "recommend_because": "    потому что вы высоко оценили {title}",
    "recommend_group_header": "Для {names}, лучшие первыми:",
    "recommend_group_private": (
        "/recommend group работает в группах: подбирает фильмы для участников с оценками."
    ),
    "recommend_group_nobody": (
        "В этом чате ещё никто не оценил ни одного фильма. Оценить можно командой /rate."
    ),
    "recommend_group_all_rated": "Кто-то здесь уже оценил или пропустил каждый фильм.",
    # /movies (HTML).
    "movies_page": "Фильмы {first}-{last} из {total} (страница {page} из {pages}):",
    "movies_empty": "В каталоге пока нет фильмов.",
    "movies_usage": "Использование: /movies [page]",
    "page_invalid": "Номер страницы должен быть целым числом от 1, получено {value}.",
    "page_missing": "Страницы {page} нет: последняя страница {pages}.",
    "button_more_picks": "Ещё »",
    "button_previous": "« Назад",
    "button_next": "Дальше »",
    # Your data.
    "myratings_header": "Ваши оценки ({count}), новые первыми:",
    "myratings_more": "…и ещё {count}. /export пришлёт все.",
    "myratings_empty": "Вы ещё не оценили ни одного фильма. /rate покажет фильмы для оценки.",
    "unrate_usage": "Использование: /unrate <movie_id>",
    "unrate_missing_movie": "Не указан номер фильма.",
    "unrate_done": "Ваша оценка фильма {movie} удалена.",
    "unrate_missing": "Вы не оценивали фильм #{movie_id}.",
    "export_caption": "Ваши оценки и отметки «не смотрел» ({count}).",
    "export_empty": "Вам пока нечего выгружать: оценок нет.",
    "forget_confirm": (
        "Удалить все ваши оценки ({count}) и номер пользователя? Это нельзя отменить."
    ),
    "forget_nothing": "Я пока ничего о вас не храню.",
    "button_forget_yes": "Да, удалить всё",
    "button_forget_no": "Нет, оставить",
    "forget_done": (
        "Ваши оценки и номер пользователя удалены. Модель забудет их при следующем "
        "обучении. /start зарегистрирует вас заново как нового пользователя."
    ),
    "forget_cancelled": "Ваши оценки сохранены.",
    # Buttons pressed.
    "callback_invalid": "Эта кнопка недействительна. Отправьте команду заново.",
    "callback_stale": "Эта кнопка устарела. Отправьте команду заново.",
    "callback_not_yours": "Эта кнопка относится к чужому сообщению.",
    "callback_saved": "Сохранено.",
    # Flood control and errors.
    "flood_notice": "Вы отправляете команды слишком часто. Подождите немного и повторите.",
    "use_personal_account": "Пожалуйста, отправляйте команды с личного аккаунта Telegram.",
    "unknown_command": "Неизвестная команда. /help покажет список команд.",
    "not_a_command": "Я понимаю только команды. /help покажет их список.",
    "apology": "Извините, у меня что-то пошло не так. Попробуйте ещё раз.",
}
