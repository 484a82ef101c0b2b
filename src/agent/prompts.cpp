#include "agent/prompts.h"

namespace parley::agent {

const Prompts& prompts_for(std::string_view language) {
  static const Prompts en{"Are you still there?",
                          "I cannot hear anything, so I will hang up now. Goodbye!",
                          "We have reached the time limit for this call. Thank you for calling, goodbye!",
                          "Sorry, I cannot transfer you right now. How else can I help?",
                          "Sorry, there is no operator available right now. How else can I help?",
                          "Sorry, I lost you for a moment. I am back, please go on."};
  static const Prompts ru{"Вы ещё на линии?",
                          "Я вас не слышу, поэтому завершаю звонок. До свидания!",
                          "Время звонка истекло. Спасибо за звонок, до свидания!",
                          "Извините, сейчас не получается перевести звонок. Чем ещё могу помочь?",
                          "Извините, сейчас нет свободного оператора. Чем ещё могу помочь?",
                          "Извините, связь на секунду прервалась. Я снова на линии, продолжайте."};
  return language == "ru" ? ru : en;
}

}  // namespace parley::agent
